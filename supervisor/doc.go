// Package supervisor is the root of everything that runs inside the
// langserver process; its sub-packages hold the parts (adapters, input,
// envelope, callback, jobs, standalone, cli).
package supervisor
