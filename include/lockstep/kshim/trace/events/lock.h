/* <trace/events/lock.h>: the contention tracepoints fire lockstep's (<lockstep/trace.h>). */
#ifndef LS_KSHIM_TRACE_EVENTS_LOCK_H
#define LS_KSHIM_TRACE_EVENTS_LOCK_H
#include <ls_kshim.h>
#include <lockstep/trace.h>
#define trace_contention_begin(lock, flags) ls_kernel_contention_begin((void *)(lock), (flags))
#define trace_contention_end(lock, ret) ls_kernel_contention_end((void *)(lock), (ret))
#endif
