"""`barito audit`: bandit over the code, pip-audit over uv.lock, npm audit over the SPA.

Each check ends in one of three ways: clean, findings (each justified in
security/audit-exceptions.toml or failing the run), or could not check because
its vulnerability source did not answer, which is said and does not fail the run.

    outcome.py          a check's findings and how it ended
    exceptions.py       the justified findings, read from the exceptions file
    bandit_check.py     bandit over libs/*/src and services/*/src
    python_packages.py  pip-audit over exactly the packages uv.lock pins
    npm_packages.py     npm audit over the SPA's package-lock.json
    commands.py         the `barito audit` command
"""
