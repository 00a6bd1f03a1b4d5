/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* CHECK(): abort with the failed condition, for the libFuzzer targets. */
#ifndef SDP_FUZZ_CHECK_H
#define SDP_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)							\
	do {								\
		if (!(c)) {						\
			fprintf(stderr, "%s:%d: invariant failed: %s\n",\
				__FILE__, __LINE__, #c);		\
			abort();					\
		}							\
	} while (0)

#endif /* SDP_FUZZ_CHECK_H */
