// Package pipetest helps test a runner (the program of a LangPack that
// speaks the runner contract) from Go, table by table: start it on an
// algorithm folder written for the test, send it requests, and compare its
// results, its algorithm errors and its load failures with those wanted.
//
//	func TestRunnerValues(t *testing.T) {
//		dir := pipetest.Folder(t, map[string]string{"src/algo.rb": source})
//		r, err := pipetest.Start(t, pipe.Config{Command: []string{"ruby", "pipe.rb"}, Dir: dir})
//		if err != nil {
//			t.Fatal(err)
//		}
//		pipetest.CheckResults(t, r, []pipetest.Result{
//			{Request: pipetest.Text("hi"), Result: `"hi"`, ContentType: "text"},
//		})
//	}
package pipetest
