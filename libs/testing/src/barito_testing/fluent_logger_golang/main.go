// A program using fluent-logger-golang, unmodified (Debian's
// golang-github-fluent-fluent-logger-golang-dev), the way an application
// does: Post events one after the other to a forward port. Each event is
// {"marker": "<prefix>-<n>", "n": n}; after each Post returns without an
// error it prints "sent <n>" on stdout. The first error is printed and ends
// the program with status 1.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
)

func main() {
	port := flag.Int("port", 24224, "forward port")
	tag := flag.String("tag", "app", "tag of every event")
	prefix := flag.String("prefix", "m", "marker prefix")
	count := flag.Int("count", 10, "events to send")
	interval := flag.Duration("interval", 0, "pause between events")
	ack := flag.Bool("ack", true, "RequestAck")
	subSecond := flag.Bool("subsecond", false, "SubSecondPrecision (EventTime)")
	maxRetry := flag.Int("max-retry", 13, "MaxRetry")
	flag.Parse()

	logger, err := fluent.New(fluent.Config{
		FluentHost:         "127.0.0.1",
		FluentPort:         *port,
		RequestAck:         *ack,
		SubSecondPrecision: *subSecond,
		MaxRetry:           *maxRetry,
		RetryWait:          200,
		MaxRetryWait:       2000,
	})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	defer logger.Close()
	for n := 0; n < *count; n++ {
		event := map[string]interface{}{"marker": fmt.Sprintf("%s-%d", *prefix, n), "n": n}
		if err := logger.Post(*tag, event); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("sent", n)
		time.Sleep(*interval)
	}
}
