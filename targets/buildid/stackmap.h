/* What buildid/stackmap tells the bpf suite about its last execution.  Read after
 * ls_session_run(); reset by the target's init. */
#ifndef LS_TARGETS_BUILDID_STACKMAP_H
#define LS_TARGETS_BUILDID_STACKMAP_H

/* Frames of the program's (task's, not the NMI's) walk that came back with a build ID and file
 * offset (BPF_STACK_BUILD_ID_VALID); 0 when the walk fell back to IPs or did not run. */
int ls_buildid_prog_frames_resolved(void);

#endif
