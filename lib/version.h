/*
 * version.h - the version of igraph, as every tool and file records it
 * (provenance #PG lines, model descriptions, --version).
 */
#ifndef IGR_VERSION_H
#define IGR_VERSION_H

#define IGR_VERSION "0.1.0"

#endif
