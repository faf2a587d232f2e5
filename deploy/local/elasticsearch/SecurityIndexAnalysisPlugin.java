// The analysis components Elasticsearch's .security index asks for, which live
// in the analysis-common module: the integ-test-zip on Maven Central (the only
// distribution there) ships without that module, so without this plugin the
// secured stack's Elasticsearch cannot create .security, and with it no API key.
// Built by barito_cli.stack.secure_search against the distribution's own jars.
package org.barito.stack;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.email.UAX29URLEmailTokenizer;
import org.apache.lucene.analysis.miscellaneous.RemoveDuplicatesTokenFilter;
import org.apache.lucene.analysis.pattern.PatternCaptureGroupTokenFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.AbstractTokenizerFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

public class SecurityIndexAnalysisPlugin extends Plugin implements AnalysisPlugin {
    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of("pattern_capture", PatternCapture::new, "unique", Unique::new);
    }

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        return Map.of("uax_url_email", UaxUrlEmail::new);
    }

    static final class PatternCapture extends AbstractTokenFilterFactory {
        private final Pattern[] patterns;
        private final boolean preserveOriginal;

        PatternCapture(IndexSettings index, Environment env, String name, Settings settings) {
            super(name, settings);
            List<String> regexes = settings.getAsList("patterns");
            patterns = regexes.stream().map(Pattern::compile).toArray(Pattern[]::new);
            preserveOriginal = settings.getAsBoolean("preserve_original", true);
        }

        @Override
        public TokenStream create(TokenStream stream) {
            return new PatternCaptureGroupTokenFilter(stream, preserveOriginal, patterns);
        }
    }

    // Lucene's position-wise duplicate removal stands in for the module's own
    // "unique" filter: close enough for the one field (email) that uses it.
    static final class Unique extends AbstractTokenFilterFactory {
        Unique(IndexSettings index, Environment env, String name, Settings settings) {
            super(name, settings);
        }

        @Override
        public TokenStream create(TokenStream stream) {
            return new RemoveDuplicatesTokenFilter(stream);
        }
    }

    static final class UaxUrlEmail extends AbstractTokenizerFactory {
        UaxUrlEmail(IndexSettings index, Environment env, String name, Settings settings) {
            super(index, settings, name);
        }

        @Override
        public Tokenizer create() {
            return new UAX29URLEmailTokenizer();
        }
    }
}
