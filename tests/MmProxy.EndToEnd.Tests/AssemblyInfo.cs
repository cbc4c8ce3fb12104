// The end-to-end tests share one 2-core machine, real daemons and timing-sensitive assertions
// (header timeout, "nothing accepted within 1 s"): run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
