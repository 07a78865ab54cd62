/* <trace/events/ipi.h>: the IPI tracepoints: never enabled. */
#ifndef LS_KSHIM_TRACE_EVENTS_IPI_H
#define LS_KSHIM_TRACE_EVENTS_IPI_H
#include <ls_kshim.h>
#define trace_ipi_send_cpu_enabled() false
#define trace_ipi_send_cpu(cpu, ip, fn) ((void)(cpu), (void)(ip), (void)(fn))
#endif
