// Package watcher tells the engine which paths in the chosen folders may
// have changed, using fsnotify (one watch per directory), filters and
// coalescing. It emits "these paths may have changed" and "rescan this
// subtree"; it knows nothing of uploads.
//
// The first pass of Kumo backs up with `kumo backup --once`; live watching is
// built on this package by the watcher issue.
package watcher
