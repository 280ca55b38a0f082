/*
 * clock.h - elapsed time for progress, rates and time limits.
 */
#ifndef IGR_CLOCK_H
#define IGR_CLOCK_H

/* Seconds since an arbitrary start (the monotonic clock: never goes back
 * when the wall clock is set). */
double igr_now(void);

#endif
