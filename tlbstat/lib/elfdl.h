/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libelf, libdw, zlib and libdeflate, loaded at first use (lib/dynlib.h) by their users:
 * lib/usyms.c (libelf), lib/unwind.c, lib/srcline.c and lib/debugfile.c (libdw, and zlib and
 * libdeflate for compressed DWARF). Plain report, stat and record without -g never call them,
 * and linked they cost every command's start-up about 1.5 ms (libdw brings liblzma and libbz2).
 *
 * Include it after every other header: its #defines turn the functions' names into calls
 * through the tables, which a system header declaring them would trip over. Each public entry
 * point of the users loads first (usym_new, unw_new, srcl_new, debugfile_open and the
 * *_available() functions); a library that cannot be loaded is said once (naming its Debian
 * package) and the feature is off, as in a build without it.
 */
#ifndef TLBSTAT_ELFDL_H
#define TLBSTAT_ELFDL_H
#include "dynlib.h"

#include <stdbool.h>

#ifdef HAVE_LIBELF
#include <gelf.h>
#include <libelf.h>

#define ELFDL_LIBELF_SYMS(X) \
	X(elf_begin) X(elf_end) X(elf_getdata) X(elf_getphdrnum) X(elf_getscn) \
	X(elf_getshdrstrndx) X(elf_kind) X(elf_nextscn) X(elf_rawfile) X(elf_strptr) \
	X(elf_version) X(gelf_getchdr) X(gelf_getclass) X(gelf_getnote) X(gelf_getphdr) \
	X(gelf_getshdr) X(gelf_getsym) X(gelf_update_shdr)
struct elfdl_libelf { ELFDL_LIBELF_SYMS(DYNLIB_PTR) };
extern struct elfdl_libelf elfdl_libelf;

/* libelf.so.1 loaded (the first call loads it; a failure is said once): usable. */
bool elfdl_elf(void);
#endif

#ifdef HAVE_LIBDW
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <zlib.h>

#define ELFDL_LIBDW_SYMS(X) \
	X(dwarf_addrdie) X(dwarf_attr) X(dwarf_attr_integrate) X(dwarf_begin_elf) \
	X(dwarf_end) X(dwarf_filesrc) X(dwarf_formstring) X(dwarf_formudata) \
	X(dwarf_getscopes) X(dwarf_getscopes_die) X(dwarf_getsrc_die) X(dwarf_getsrcfiles) \
	X(dwarf_haspc) X(dwarf_lineno) X(dwarf_linesrc) X(dwarf_tag) \
	X(dwelf_elf_gnu_build_id) X(dwelf_elf_gnu_debuglink) X(dwfl_addrmodule) \
	X(dwfl_attach_state) X(dwfl_begin) X(dwfl_end) X(dwfl_frame_pc) \
	X(dwfl_getthread_frames) X(dwfl_module_getelf) X(dwfl_offline_section_address) \
	X(dwfl_report_begin) X(dwfl_report_elf) X(dwfl_report_end) \
	X(dwfl_thread_state_register_pc) X(dwfl_thread_state_registers)
#define ELFDL_ZLIB_SYMS(X) \
	X(crc32_z) X(uncompress)
struct elfdl_libdw { ELFDL_LIBDW_SYMS(DYNLIB_PTR) };
struct elfdl_zlib { ELFDL_ZLIB_SYMS(DYNLIB_PTR) };
extern struct elfdl_libdw elfdl_libdw;
extern struct elfdl_zlib elfdl_zlib;

/*
 * libelf, then libdw.so.1 and libz.so.1 loaded (libdeflate.so.0 too, when there is one): true
 * when DWARF can be read. The first call loads them; a failure is said once.
 */
bool elfdl_dw(void);

#ifdef HAVE_LIBDEFLATE
#include <libdeflate.h>

#define ELFDL_LIBDEFLATE_SYMS(X) \
	X(libdeflate_alloc_decompressor) X(libdeflate_free_decompressor) \
	X(libdeflate_zlib_decompress)
struct elfdl_libdeflate { ELFDL_LIBDEFLATE_SYMS(DYNLIB_PTR) };
extern struct elfdl_libdeflate elfdl_libdeflate;

/* After elfdl_dw(): whether libdeflate.so.0 was loaded (else zlib inflates, slower). */
bool elfdl_deflate(void);
#endif
#endif

/* elfdl.c fills the tables: it needs the names as they are */
#ifndef ELFDL_TABLES
#ifdef HAVE_LIBELF
#define elf_begin (*elfdl_libelf.elf_begin)
#define elf_end (*elfdl_libelf.elf_end)
#define elf_getdata (*elfdl_libelf.elf_getdata)
#define elf_getphdrnum (*elfdl_libelf.elf_getphdrnum)
#define elf_getscn (*elfdl_libelf.elf_getscn)
#define elf_getshdrstrndx (*elfdl_libelf.elf_getshdrstrndx)
#define elf_kind (*elfdl_libelf.elf_kind)
#define elf_nextscn (*elfdl_libelf.elf_nextscn)
#define elf_rawfile (*elfdl_libelf.elf_rawfile)
#define elf_strptr (*elfdl_libelf.elf_strptr)
#define elf_version (*elfdl_libelf.elf_version)
#define gelf_getchdr (*elfdl_libelf.gelf_getchdr)
#define gelf_getclass (*elfdl_libelf.gelf_getclass)
#define gelf_getnote (*elfdl_libelf.gelf_getnote)
#define gelf_getphdr (*elfdl_libelf.gelf_getphdr)
#define gelf_getshdr (*elfdl_libelf.gelf_getshdr)
#define gelf_getsym (*elfdl_libelf.gelf_getsym)
#define gelf_update_shdr (*elfdl_libelf.gelf_update_shdr)
#endif
#ifdef HAVE_LIBDW
#define dwarf_addrdie (*elfdl_libdw.dwarf_addrdie)
#define dwarf_attr (*elfdl_libdw.dwarf_attr)
#define dwarf_attr_integrate (*elfdl_libdw.dwarf_attr_integrate)
#define dwarf_begin_elf (*elfdl_libdw.dwarf_begin_elf)
#define dwarf_end (*elfdl_libdw.dwarf_end)
#define dwarf_filesrc (*elfdl_libdw.dwarf_filesrc)
#define dwarf_formstring (*elfdl_libdw.dwarf_formstring)
#define dwarf_formudata (*elfdl_libdw.dwarf_formudata)
#define dwarf_getscopes (*elfdl_libdw.dwarf_getscopes)
#define dwarf_getscopes_die (*elfdl_libdw.dwarf_getscopes_die)
#define dwarf_getsrc_die (*elfdl_libdw.dwarf_getsrc_die)
#define dwarf_getsrcfiles (*elfdl_libdw.dwarf_getsrcfiles)
#define dwarf_haspc (*elfdl_libdw.dwarf_haspc)
#define dwarf_lineno (*elfdl_libdw.dwarf_lineno)
#define dwarf_linesrc (*elfdl_libdw.dwarf_linesrc)
#define dwarf_tag (*elfdl_libdw.dwarf_tag)
#define dwelf_elf_gnu_build_id (*elfdl_libdw.dwelf_elf_gnu_build_id)
#define dwelf_elf_gnu_debuglink (*elfdl_libdw.dwelf_elf_gnu_debuglink)
#define dwfl_addrmodule (*elfdl_libdw.dwfl_addrmodule)
#define dwfl_attach_state (*elfdl_libdw.dwfl_attach_state)
#define dwfl_begin (*elfdl_libdw.dwfl_begin)
#define dwfl_end (*elfdl_libdw.dwfl_end)
#define dwfl_frame_pc (*elfdl_libdw.dwfl_frame_pc)
#define dwfl_getthread_frames (*elfdl_libdw.dwfl_getthread_frames)
#define dwfl_module_getelf (*elfdl_libdw.dwfl_module_getelf)
#define dwfl_offline_section_address (*elfdl_libdw.dwfl_offline_section_address)
#define dwfl_report_begin (*elfdl_libdw.dwfl_report_begin)
#define dwfl_report_elf (*elfdl_libdw.dwfl_report_elf)
#define dwfl_report_end (*elfdl_libdw.dwfl_report_end)
#define dwfl_thread_state_register_pc (*elfdl_libdw.dwfl_thread_state_register_pc)
#define dwfl_thread_state_registers (*elfdl_libdw.dwfl_thread_state_registers)
#define crc32_z (*elfdl_zlib.crc32_z)
#define uncompress (*elfdl_zlib.uncompress)
#ifdef HAVE_LIBDEFLATE
#define libdeflate_alloc_decompressor (*elfdl_libdeflate.libdeflate_alloc_decompressor)
#define libdeflate_free_decompressor (*elfdl_libdeflate.libdeflate_free_decompressor)
#define libdeflate_zlib_decompress (*elfdl_libdeflate.libdeflate_zlib_decompress)
#endif
#endif
#endif
#endif
