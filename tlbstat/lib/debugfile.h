/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An object's DWARF for reading (libdw), found as libdwfl's standard search finds it, less
 * debuginfod: the object's own DWARF, else its debug file by build-id under the debug root
 * (ROOT/.build-id/ab/cdef....debug), else by .gnu_debuglink beside the object, in its .debug/
 * directory or under ROOT at the object's directory (the link's CRC checked). Compressed DWARF
 * sections (SHF_COMPRESSED, zlib) are inflated with libdeflate into one arena of transparent huge
 * pages before libdw sees them, and the sections lib/srcline.c never reads (locations, macros,
 * name indexes) are not inflated at all; built without libdeflate, zlib inflates them into the
 * same arena (a section that fails either way is left for libdw to inflate).
 * Built without libdw: nothing is opened.
 */
#ifndef TLBSTAT_DEBUGFILE_H
#define TLBSTAT_DEBUGFILE_H
#include <stdbool.h>

struct debugfile;

/*
 * The DWARF of the object at path (root: where .build-id/ lives; NULL: /usr/lib/debug). NULL when
 * it has none that can be read (or out of memory).
 */
struct debugfile *debugfile_open(const char *path, const char *root);
void debugfile_close(struct debugfile *d);
#ifdef HAVE_LIBDW
#include <elfutils/libdw.h>
/* Its Dwarf handle, valid until debugfile_close(). Addresses are the object's own (link-time). */
Dwarf *debugfile_dwarf(struct debugfile *d);
#endif
#endif
