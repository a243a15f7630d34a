// Package units parses the human-written sizes used in flags and configs
// ("10MiB", "512KB").
package units
