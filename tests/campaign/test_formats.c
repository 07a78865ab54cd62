/* Suite `formats`: what lockstep reads from other programs, one parser per format: AFL++'s
 * fuzzer_stats and crash file names, libFuzzer's output (alone and in fork mode), and JSON,
 * which lockstep writes with ls_json_str() and reads back with jansson.  The samples are written
 * here in each format's documented layout; the fuzz-afl and fuzz-libfuzzer suites read the real
 * programs' files end to end. */
#include <jansson.h>
#include <string.h>

#include "../check.h"
#include "campaign/external.h"
#include "campaign/json.h"

/* fuzzer_stats: one "key : value" line per field, the key padded to a column. */
static int test_afl_fuzzer_stats_gives_the_executions(void)
{
	static const char stats[] =
		"start_time        : 1765000000\n"
		"last_update       : 1765000060\n"
		"run_time          : 60\n"
		"fuzzer_pid        : 4242\n"
		"cycles_done       : 3\n"
		"execs_done        : 1234567\n"
		"execs_per_sec     : 20576.12\n"
		"corpus_count      : 17\n"
		"saved_crashes     : 5\n"
		"saved_hangs       : 1\n"
		"afl_version       : ++4.04c\n"
		"command_line      : afl-fuzz -M main -V 60 -- ./lockstep-afl\n";
	struct ls_afl_stats st;
	CHECK(ls_afl_parse_stats(stats, &st));
	CHECK(st.execs_done == 1234567);
	CHECK(st.execs_per_sec > 20576.1 && st.execs_per_sec < 20576.2);
	CHECK(st.run_time == 60 && st.fuzzer_pid == 4242);
	CHECK(st.saved_crashes == 5 && st.saved_hangs == 1);
	return TEST_PASS;
}

static int test_afl_fuzzer_stats_before_4_0_named_crashes_unique(void)
{
	struct ls_afl_stats st;
	CHECK(ls_afl_parse_stats("execs_done     : 9\nunique_crashes : 2\nunique_hangs : 3\n", &st));
	CHECK(st.execs_done == 9 && st.saved_crashes == 2 && st.saved_hangs == 3);
	return TEST_PASS;
}

static int test_afl_fuzzer_stats_without_executions_is_refused(void)
{
	struct ls_afl_stats st;
	CHECK(!ls_afl_parse_stats("", &st));
	CHECK(!ls_afl_parse_stats("start_time : 1\nrun_time : 0\n", &st));
	/* A key that only ends in execs_done, and a value that is no number. */
	CHECK(!ls_afl_parse_stats("total_execs_done : 7\nexecs_done : n/a\n", &st));
	return TEST_PASS;
}

static int test_afl_crash_name_gives_the_instance_executions(void)
{
	CHECK(ls_afl_crash_execs("/w/sync/main/crashes/id:000000,sig:06,src:000000,time:812,"
				 "execs:5123,op:havoc,rep:2") == 5123);
	CHECK(ls_afl_crash_execs("id:000001,sig:06,src:000000,time:812,op:havoc") == 0);
	/* A directory named like a crash says nothing. */
	CHECK(ls_afl_crash_execs("/w/x,execs:99/crashes/id:000002,sig:11") == 0);
	return TEST_PASS;
}

/* libFuzzer alone: progress lines "#N\tWHAT ...", then -print_final_stats' lines. */
static int test_libfuzzer_alone_counts_by_its_final_stats(void)
{
	static const char log[] =
		"INFO: Seed: 1\n"
		"#2\tINITED cov: 31 ft: 32 corp: 1/1b exec/s: 0 rss: 30Mb\n"
		"#1024\tpulse  cov: 31 ft: 40 corp: 3/9b lim: 4 exec/s: 512 rss: 31Mb\n"
		"==4242== ERROR: libFuzzer: deadly signal\n"
		"stat::number_of_executed_units: 1337\n"
		"stat::average_exec_per_sec:     668\n"
		"stat::peak_rss_mb:              31\n";
	struct ls_libfuzzer_log l;
	ls_libfuzzer_parse_log(log, &l);
	CHECK(l.has_final && l.final_execs == 1337);
	CHECK(l.has_progress && l.progress_execs == 1024);
	return TEST_PASS;
}

/* Fork mode: the parent's progress lines "#N: cov: ..." count every job's executions. */
static int test_libfuzzer_fork_mode_counts_by_its_last_progress_line(void)
{
	static const char log[] =
		"INFO: -fork=2: fuzzing in separate process(s)\n"
		"#4096: cov: 31 ft: 40 corp: 3 exec/s 2048 oom/timeout/crash: 0/0/0 time: 2s job: 1\n"
		"#10240: cov: 33 ft: 44 corp: 4 exec/s 3072 oom/timeout/crash: 0/0/1 time: 4s job: 2\n"
		"INFO: fuzzed for 5 seconds, wrapping up soon\n"
		"INFO: exiting: 0 time: 5s\n";
	struct ls_libfuzzer_log l;
	ls_libfuzzer_parse_log(log, &l);
	CHECK(!l.has_final);
	CHECK(l.has_progress && l.progress_execs == 10240);
	ls_libfuzzer_parse_log("INFO: Running with entropic power schedule\n", &l);
	CHECK(!l.has_final && !l.has_progress);
	return TEST_PASS;
}

/* What ls_json_str() writes parses, and reads back as the string it was given, but for bytes
 * that are not UTF-8, each of which reads back as U+FFFD. */
static int json_round_trip(const char *in, const char *want)
{
	struct ls_buf b = { 0 };
	ls_buf_printf(&b, "{\"s\":");
	ls_json_str(&b, in);
	ls_buf_printf(&b, "}");
	json_t *j = ls_json_last_object(b.s);
	CHECKF(j, "%s does not parse", b.s);
	const char *got = ls_json_string(j, "s");
	int ok = got && strcmp(got, want) == 0;
	if (!ok)
		fprintf(stderr, "wrote %s, read back '%s', want '%s'\n", b.s, got ? got : "(none)",
			want);
	json_decref(j);
	ls_buf_finish(&b);
	return ok ? TEST_PASS : TEST_FAIL;
}

static int test_json_strings_round_trip_with_every_escape(void)
{
	CHECK(json_round_trip("plain", "plain") == TEST_PASS);
	CHECK(json_round_trip("a \"quoted\" \\ path\\x", "a \"quoted\" \\ path\\x") == TEST_PASS);
	CHECK(json_round_trip("tab\there\nnew\x01line\x1f", "tab\there\nnew\x01line\x1f") ==
	      TEST_PASS);
	CHECK(json_round_trip("", "") == TEST_PASS);
	return TEST_PASS;
}

static int test_json_strings_keep_non_ascii_names(void)
{
	/* Two-, three- and four-byte sequences: a site name, a lock name, an emoji. */
	CHECK(json_round_trip("spin_lock(&caf\xc3\xa9->lock) in t\xc3\xa2" "che",
			      "spin_lock(&caf\xc3\xa9->lock) in t\xc3\xa2" "che") == TEST_PASS);
	CHECK(json_round_trip("\xe9\x94\x81 held by \xe7\xba\xbf\xe7\xa8\x8b",
			      "\xe9\x94\x81 held by \xe7\xba\xbf\xe7\xa8\x8b") == TEST_PASS);
	CHECK(json_round_trip("\xf0\x9f\x94\x92", "\xf0\x9f\x94\x92") == TEST_PASS);
	return TEST_PASS;
}

static int test_json_strings_replace_bytes_that_are_not_utf8(void)
{
	/* Latin-1, a lone continuation byte, a truncated sequence, an overlong '/', a surrogate,
	 * and a code point above U+10FFFF. */
	CHECK(json_round_trip("caf\xe9", "caf\xef\xbf\xbd") == TEST_PASS);
	CHECK(json_round_trip("a\x80z", "a\xef\xbf\xbdz") == TEST_PASS);
	CHECK(json_round_trip("\xe9\x94", "\xef\xbf\xbd\xef\xbf\xbd") == TEST_PASS);
	CHECK(json_round_trip("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd") == TEST_PASS);
	CHECK(json_round_trip("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd") == TEST_PASS);
	CHECK(json_round_trip("\xf4\x90\x80\x80",
			      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd") == TEST_PASS);
	/* Bytes that never start a sequence: F5 to FF. */
	CHECK(json_round_trip("\xf8\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd") == TEST_PASS);
	CHECK(json_round_trip("\xff\xbf", "\xef\xbf\xbd\xef\xbf\xbd") == TEST_PASS);
	CHECK(json_round_trip("\xf5\x80\x80\x80",
			      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd") == TEST_PASS);
	return TEST_PASS;
}

/* A command's output: its report, then the --json line last. */
static int test_json_summary_is_the_last_object_line(void)
{
	static const char out[] = "{ this line of a report starts like JSON\n"
				  "report text\n"
				  "{\"command\":\"replay\",\"trace\":\"d/x.trace\",\"n\":3}\n"
				  "trailing text\n";
	json_t *j = ls_json_last_object(out);
	CHECK(j);
	double n;
	CHECK(ls_json_number(j, "n", &n) && n == 3);
	CHECK(strcmp(ls_json_string(j, "trace"), "d/x.trace") == 0);
	CHECK(!ls_json_string(j, "n") && !ls_json_number(j, "trace", &n));
	CHECK(!ls_json_string(j, "missing"));
	json_decref(j);
	CHECK(!ls_json_last_object("no JSON here\n"));
	CHECK(!ls_json_last_object("{not json\n"));
	CHECK(!ls_json_last_object("{\"a\":1}\n{\"b\":\n"));	/* cut short */
	CHECK(!ls_json_last_object(NULL));
	/* A seed is a 64-bit unsigned number, above jansson's integers. */
	j = ls_json_last_object("{\"seed\":18446744073709551615,\"execs\":12}\n");
	CHECK(j);
	CHECK(ls_json_number(j, "seed", &n) && n == 18446744073709551615.0);
	CHECK(ls_json_number(j, "execs", &n) && n == 12);
	json_decref(j);
	return TEST_PASS;
}

int main(void)
{
	int status = TEST_PASS;
	RUN(test_afl_fuzzer_stats_gives_the_executions, status);
	RUN(test_afl_fuzzer_stats_before_4_0_named_crashes_unique, status);
	RUN(test_afl_fuzzer_stats_without_executions_is_refused, status);
	RUN(test_afl_crash_name_gives_the_instance_executions, status);
	RUN(test_libfuzzer_alone_counts_by_its_final_stats, status);
	RUN(test_libfuzzer_fork_mode_counts_by_its_last_progress_line, status);
	RUN(test_json_strings_round_trip_with_every_escape, status);
	RUN(test_json_strings_keep_non_ascii_names, status);
	RUN(test_json_strings_replace_bytes_that_are_not_utf8, status);
	RUN(test_json_summary_is_the_last_object_line, status);
	return status;
}
