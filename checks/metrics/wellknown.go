package metrics

// goMetrics are the series client_golang v1.25's Go collector exports by default
// (collectors.NewGoCollector without runtime-metric options).
var goMetrics = []wellKnown{
	{"go_gc_duration_seconds", "summary", nil},
	{"go_goroutines", "gauge", nil},
	{"go_threads", "gauge", nil},
	{"go_info", "gauge", []string{"version"}},
	{"go_gc_gogc_percent", "gauge", nil},
	{"go_gc_gomemlimit_bytes", "gauge", nil},
	{"go_sched_gomaxprocs_threads", "gauge", nil},
	{"go_memstats_last_gc_time_seconds", "gauge", nil},
	{"go_memstats_alloc_bytes", "gauge", nil},
	{"go_memstats_alloc_bytes_total", "counter", nil},
	{"go_memstats_sys_bytes", "gauge", nil},
	{"go_memstats_mallocs_total", "counter", nil},
	{"go_memstats_frees_total", "counter", nil},
	{"go_memstats_heap_alloc_bytes", "gauge", nil},
	{"go_memstats_heap_sys_bytes", "gauge", nil},
	{"go_memstats_heap_idle_bytes", "gauge", nil},
	{"go_memstats_heap_inuse_bytes", "gauge", nil},
	{"go_memstats_heap_released_bytes", "gauge", nil},
	{"go_memstats_heap_objects", "gauge", nil},
	{"go_memstats_stack_inuse_bytes", "gauge", nil},
	{"go_memstats_stack_sys_bytes", "gauge", nil},
	{"go_memstats_mspan_inuse_bytes", "gauge", nil},
	{"go_memstats_mspan_sys_bytes", "gauge", nil},
	{"go_memstats_mcache_inuse_bytes", "gauge", nil},
	{"go_memstats_mcache_sys_bytes", "gauge", nil},
	{"go_memstats_buck_hash_sys_bytes", "gauge", nil},
	{"go_memstats_gc_sys_bytes", "gauge", nil},
	{"go_memstats_other_sys_bytes", "gauge", nil},
	{"go_memstats_next_gc_bytes", "gauge", nil},
}

// processMetrics are the series of client_golang's process collector (Linux).
var processMetrics = []wellKnown{
	{"process_cpu_seconds_total", "counter", nil},
	{"process_open_fds", "gauge", nil},
	{"process_max_fds", "gauge", nil},
	{"process_virtual_memory_bytes", "gauge", nil},
	{"process_virtual_memory_max_bytes", "gauge", nil},
	{"process_resident_memory_bytes", "gauge", nil},
	{"process_start_time_seconds", "gauge", nil},
	{"process_network_receive_bytes_total", "counter", nil},
	{"process_network_transmit_bytes_total", "counter", nil},
}

// kpromMetrics lists franz-go kprom v1.5.0's metrics (names without namespace/subsystem)
// with its default labels: broker metrics by node_id, fetch/produce by node_id and topic.
func kpromMetrics(consistentNaming bool) []wellKnown {
	broker := []string{"node_id"}
	fp := []string{"node_id", "topic"}
	produceBytes, fetchBytes := "produce_bytes_total", "fetch_bytes_total"
	if consistentNaming {
		produceBytes, fetchBytes = "produce_uncompressed_bytes_total", "fetch_uncompressed_bytes_total"
	}
	return []wellKnown{
		{"connects_total", "counter", broker},
		{"connect_errors_total", "counter", broker},
		{"disconnects_total", "counter", broker},
		{"write_bytes_total", "counter", broker},
		{"write_errors_total", "counter", broker},
		{"write_wait_seconds", "histogram", broker},
		{"write_time_seconds", "histogram", broker},
		{"read_bytes_total", "counter", broker},
		{"read_errors_total", "counter", broker},
		{"read_wait_seconds", "histogram", broker},
		{"read_time_seconds", "histogram", broker},
		{"request_duration_e2e_seconds", "histogram", broker},
		{"request_throttled_seconds", "histogram", broker},
		{"produce_compressed_bytes_total", "counter", fp},
		{produceBytes, "counter", fp},
		{"produce_batches_total", "counter", fp},
		{"produce_records_total", "counter", fp},
		{"fetch_compressed_bytes_total", "counter", fp},
		{fetchBytes, "counter", fp},
		{"fetch_batches_total", "counter", fp},
		{"fetch_records_total", "counter", fp},
		{"buffered_produce_records_total", "gauge", nil},
		{"buffered_produce_bytes", "gauge", nil},
		{"buffered_fetch_records_total", "gauge", nil},
		{"buffered_fetch_bytes", "gauge", nil},
	}
}
