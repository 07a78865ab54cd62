/* The lock contention tracepoints: a fixed table of probes per tracepoint, called in order.
 * include/lockstep/trace.h says where the lock models fire them. */
#include <errno.h>

#include <lockstep/kernel.h>

static struct {
	ls_contention_begin_probe fn;
	void *data;
} begin_probes[LS_TRACE_PROBES];
static struct {
	ls_contention_end_probe fn;
	void *data;
} end_probes[LS_TRACE_PROBES];
static int nbegin, nend;

bool ls_trace_contention_probed(void)
{
	return nbegin > 0 || nend > 0;
}

void ls_trace_reset(void)
{
	nbegin = nend = 0;
}

int register_trace_contention_begin(ls_contention_begin_probe probe, void *data)
{
	if (nbegin == LS_TRACE_PROBES)
		return -ENOSPC;
	begin_probes[nbegin].fn = probe;
	begin_probes[nbegin].data = data;
	nbegin++;
	return 0;
}

int register_trace_contention_end(ls_contention_end_probe probe, void *data)
{
	if (nend == LS_TRACE_PROBES)
		return -ENOSPC;
	end_probes[nend].fn = probe;
	end_probes[nend].data = data;
	nend++;
	return 0;
}

bool ls_trace_contention_begin(void *lock, unsigned int flags)
{
	for (int i = 0; i < nbegin; i++)
		begin_probes[i].fn(begin_probes[i].data, lock, flags);
	return nbegin > 0;
}

void ls_trace_contention_end(void *lock, int ret)
{
	for (int i = 0; i < nend; i++)
		end_probes[i].fn(end_probes[i].data, lock, ret);
}
