package main

import "errors"

// apply stands in for the algorithm in this repository, where the runner is
// built and tested on its own. The adapter compiles pipe.go without this
// file, next to a generated one that sets apply to the algorithm's Apply.
var apply applyFunc = func(interface{}) (interface{}, error) {
	return nil, errors.New("no algorithm: the go LangPack compiles this runner inside an algorithm's module")
}
