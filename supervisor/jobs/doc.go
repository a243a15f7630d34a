// Package jobs runs asynchronous calls (output=void) so that none that was
// accepted is lost: each job is written to an embedded bbolt database
// before its submission is answered, waits in a bounded durable queue,
// runs through its algorithm's pool like a synchronous call, and has its
// envelope delivered to a callback URL with retries whose every try is
// recorded.
//
// State changes are compare-and-set transactions on the database, which
// is the only truth: a cancel racing a start or a finish is settled there.
// After a crash, Open puts back what was in flight: queued jobs stay
// queued, running ones are queued again (their attempt count says they
// ran before: delivery is at least once), and callbacks not yet delivered
// are resumed with the tries already spent.
package jobs
