// SPDX-License-Identifier: GPL-2.0
/* libelf, libdw, zlib and libdeflate loaded at first use (elfdl.h): the tables and the groups. */
#define ELFDL_TABLES
#include "elfdl.h"

#ifdef HAVE_LIBELF
struct elfdl_libelf elfdl_libelf;
#define LIBELF_SYM(f) DYNLIB_SYM(struct elfdl_libelf, f)
static const struct dynlib_sym libelf_syms[] = { ELFDL_LIBELF_SYMS(LIBELF_SYM) };
static const struct dynlib elf_libs[] = {
	DYNLIB_LIB("libelf.so.1", "libelf1", elfdl_libelf, libelf_syms, false),
};
static struct dynlib_group elf_group =
	DYNLIB_GROUP("user symbols (call chains' user frames stay unnamed)", elf_libs, true);

bool elfdl_elf(void)
{
	return dynlib_load(&elf_group);
}
#endif

#ifdef HAVE_LIBDW
struct elfdl_libdw elfdl_libdw;
struct elfdl_zlib elfdl_zlib;
#define LIBDW_SYM(f) DYNLIB_SYM(struct elfdl_libdw, f)
#define ZLIB_SYM(f) DYNLIB_SYM(struct elfdl_zlib, f)
static const struct dynlib_sym libdw_syms[] = { ELFDL_LIBDW_SYMS(LIBDW_SYM) };
static const struct dynlib_sym zlib_syms[] = { ELFDL_ZLIB_SYMS(ZLIB_SYM) };
#ifdef HAVE_LIBDEFLATE
struct elfdl_libdeflate elfdl_libdeflate;
#define LIBDEFLATE_SYM(f) DYNLIB_SYM(struct elfdl_libdeflate, f)
static const struct dynlib_sym libdeflate_syms[] = { ELFDL_LIBDEFLATE_SYMS(LIBDEFLATE_SYM) };
#endif
/* libelf is elf_group's: a failure here must not clear what usyms.c already uses */
static const struct dynlib dw_libs[] = {
	DYNLIB_LIB("libdw.so.1", "libdw1", elfdl_libdw, libdw_syms, false),
	DYNLIB_LIB("libz.so.1", "zlib1g", elfdl_zlib, zlib_syms, false),
#ifdef HAVE_LIBDEFLATE
	/* optional: without it zlib inflates compressed DWARF (lib/debugfile.c), slower */
	DYNLIB_LIB("libdeflate.so.0", "libdeflate0", elfdl_libdeflate, libdeflate_syms, true),
#endif
};
static struct dynlib_group dw_group =
	DYNLIB_GROUP("DWARF (--call-graph dwarf unwinding, inline frames, source lines)", dw_libs,
		     true);

bool elfdl_dw(void)
{
	return elfdl_elf() && dynlib_load(&dw_group);
}

#ifdef HAVE_LIBDEFLATE
bool elfdl_deflate(void)
{
	return elfdl_dw() && dynlib_loaded(&dw_libs[2]);
}
#endif
#endif
