// Package supervisor is the root of everything that runs inside the
// langserver process; its sub-packages hold the parts (adapters, input,
// envelope, callback, standalone, cli).
package supervisor
