// SPDX-License-Identifier: GPL-2.0
/*
 * An object's DWARF (debugfile.h): the file that holds it, and its compressed sections inflated
 * before libdw reads them.
 *
 * Why not libdwfl's offline module: libdw inflates every compressed DWARF section when it opens a
 * file (elf_compress() in dwarf_begin_elf(): zlib, into a fresh malloc'ed buffer per section).
 * libc6-dbg's debug file holds 10 MB of DWARF in 4 MB: 51-62 ms of zlib and about 2,500 page
 * faults (5 us each on the PVM guest of Documentation/benchmarks.md), which was most of a
 * --call-graph dwarf report's fixed cost. Here libdeflate inflates them (23-26 ms) into huge
 * pages (a fault per 2 MB), the location lists (1.4 MB there) not at all, and libelf is given the
 * plain sections, so dwarf_begin_elf() finds nothing left to inflate.
 */
#include "debugfile.h"
#include "util.h"

#include <stdlib.h>

#ifdef HAVE_LIBDW
#include <fcntl.h>
#include <gelf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "elfdl.h"	/* last: libelf's, libdw's, zlib's and libdeflate's names are table calls */

struct debugfile {
	int fd;
	Elf *elf;                 /* the file holding the DWARF: the object or its debug file */
	Dwarf *dw;
	char *arena;              /* the inflated sections (a private anonymous mapping) */
	size_t arena_len;
};

/* DWARF sections srcline never reads (variable locations, macros, name indexes): hidden. */
static bool unread(const char *name)
{
	static const char *const names[] = {
		".debug_loc", ".debug_loclists", ".debug_macro", ".debug_macinfo",
		".debug_pubnames", ".debug_pubtypes", ".debug_gnu_pubnames",
		".debug_gnu_pubtypes", ".debug_names",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/* path as an ELF file, mapped privately (its section headers may be changed in memory). */
static int open_elf(const char *path, Elf **e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*e = NULL;
	if (fd < 0)
		return -1;
	*e = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, NULL);
	if (!*e || elf_kind(*e) != ELF_K_ELF) {
		elf_end(*e);
		*e = NULL;
		close(fd);
		return -1;
	}
	return fd;
}

/* Has e DWARF of its own (.debug_info or .debug_line with data; .zdebug_*: GNU-compressed)? */
static bool has_dwarf(Elf *e)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(e, &shstrndx) != 0)
		return false;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || !sh.sh_size ||
		    !(n = elf_strptr(e, shstrndx, sh.sh_name)))
			continue;
		if (!strcmp(n, ".debug_info") || !strcmp(n, ".debug_line") ||
		    !strcmp(n, ".zdebug_info") || !strcmp(n, ".zdebug_line"))
			return true;
	}
	return false;
}

/*
 * A candidate debug file: kept (its fd, *e set) when it has DWARF, its build-id is the object's
 * (when both have one) and, for a .gnu_debuglink, its CRC is the link's. Else -1.
 */
static int candidate(const char *path, const void *id, ssize_t idlen, bool check_crc,
		     GElf_Word crc, Elf **e)
{
	const void *cid = NULL;
	ssize_t clen;
	size_t size;
	char *image;
	int fd = open_elf(path, e);

	if (fd < 0)
		return -1;
	clen = dwelf_elf_gnu_build_id(*e, &cid);
	if (!has_dwarf(*e) || (idlen > 0 && clen > 0 && (clen != idlen || memcmp(cid, id, idlen))))
		goto no;
	if (check_crc && (!(image = elf_rawfile(*e, &size)) ||
			  (GElf_Word)crc32_z(0, (const Bytef *)image, size) != crc))
		goto no;
	return fd;
no:
	elf_end(*e);
	*e = NULL;
	close(fd);
	return -1;
}

/* By build-id (ROOT/.build-id/ab/cdef....debug), else by .gnu_debuglink. fd, or -1. */
static int find_debug_file(const char *path, const char *root, Elf *obj, Elf **e)
{
	const unsigned char *id = NULL;
	ssize_t idlen = dwelf_elf_gnu_build_id(obj, (const void **)&id);
	GElf_Word crc = 0;
	const char *link = dwelf_elf_gnu_debuglink(obj, &crc), *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path) : 0, fd = -1;
	char p[4096], hex[2 * 64 + 1];

	if (idlen > 0 && idlen <= 64) {
		build_id_hex(id, (size_t)idlen, hex, sizeof(hex));
		if (snprintf(p, sizeof(p), "%s/.build-id/%.2s/%s.debug", root, hex, hex + 2) <
		    (int)sizeof(p))
			fd = candidate(p, id, idlen, false, 0, e);
	}
	/* the link beside the object, in its .debug/, under the root at the object's directory */
	for (int i = 0; fd < 0 && link && i < 3; i++)
		if (snprintf(p, sizeof(p), "%s%.*s/%s%s", i == 2 ? root : "", dirlen, path,
			     i == 1 ? ".debug/" : "", link) < (int)sizeof(p))
			fd = candidate(p, id, idlen, true, crc, e);
	return fd;
}

/* Inflate a zlib stream into exactly out_len bytes (z: libdeflate's; NULL: zlib): 0, or -1. */
static int inflate_into(void *z, const void *in, size_t in_len, void *out, size_t out_len)
{
	uLongf n = out_len;

#ifdef HAVE_LIBDEFLATE
	size_t got = 0;

	if (z)
		return libdeflate_zlib_decompress(z, in, in_len, out, out_len, &got) ==
		       LIBDEFLATE_SUCCESS && got == out_len ? 0 : -1;
#endif
	return uncompress(out, &n, in, in_len) == Z_OK && n == out_len ? 0 : -1;
}

/* The next .debug_ section of e after scn that has data (its header in *sh), or NULL. */
static Elf_Scn *next_debug(Elf *e, size_t shstrndx, Elf_Scn *scn, GElf_Shdr *sh, const char **name)
{
	while ((scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, sh) && sh->sh_type != SHT_NOBITS &&
		    (*name = elf_strptr(e, shstrndx, sh->sh_name)) && !strncmp(*name, ".debug_", 7))
			return scn;
	return NULL;
}

/* The compressed section's data handed to libelf inflated, at arena + *off. */
static void inflate_one(struct debugfile *d, void *z, Elf_Scn *scn, GElf_Shdr *sh, size_t *off)
{
	size_t hdr = gelf_getclass(d->elf) == ELFCLASS32 ? sizeof(Elf32_Chdr) : sizeof(Elf64_Chdr);
	Elf_Data *data;
	GElf_Chdr ch;

	if (!gelf_getchdr(scn, &ch) || ch.ch_type != ELFCOMPRESS_ZLIB ||
	    ch.ch_size > d->arena_len - *off || !(data = elf_getdata(scn, NULL)) ||
	    data->d_size < hdr ||
	    inflate_into(z, (char *)data->d_buf + hdr, data->d_size - hdr, d->arena + *off,
			 ch.ch_size) < 0)
		return;	/* left as it is: libdw inflates it (or says why not) */
	data->d_buf = d->arena + *off;
	data->d_size = ch.ch_size;
	data->d_type = ELF_T_BYTE;
	data->d_align = ch.ch_addralign ? ch.ch_addralign : 1;
	sh->sh_flags &= ~(GElf_Xword)SHF_COMPRESSED;
	sh->sh_size = ch.ch_size;
	sh->sh_addralign = data->d_align;
	gelf_update_shdr(scn, sh);
	*off += (ch.ch_size + 63) & ~(size_t)63;
}

/*
 * Before dwarf_begin_elf(): hide the sections never read, and give libelf the compressed ones
 * inflated into one arena of huge pages (a section that fails is left to libdw).
 */
static void inflate_sections(struct debugfile *d)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx, total = 0, off = 0;
	const char *name;
	GElf_Shdr sh;
	GElf_Chdr ch;
	void *z = NULL;

	if (elf_getshdrstrndx(d->elf, &shstrndx) != 0)
		return;
	while ((scn = next_debug(d->elf, shstrndx, scn, &sh, &name))) {
		if (unread(name)) {
			sh.sh_type = SHT_NOBITS;	/* dwarf_begin_elf() skips it */
			gelf_update_shdr(scn, &sh);
		} else if ((sh.sh_flags & SHF_COMPRESSED) && gelf_getchdr(scn, &ch) &&
			   ch.ch_type == ELFCOMPRESS_ZLIB && ch.ch_size < (1ULL << 40)) {
			total += (ch.ch_size + 63) & ~(size_t)63;
		}
	}
	if (!total)
		return;
	/* a fault per 2 MiB where THP allows (util.h); the pages are written once, by inflating */
	if (!(d->arena = huge_map(total, false, &d->arena_len)))
		return;
#ifdef HAVE_LIBDEFLATE
	/* libdeflate.so.0 is optional at run time too: without it zlib inflates */
	if (elfdl_deflate() && !(z = libdeflate_alloc_decompressor()))
		return;
#endif
	while ((scn = next_debug(d->elf, shstrndx, scn, &sh, &name)))
		if (sh.sh_flags & SHF_COMPRESSED)
			inflate_one(d, z, scn, &sh, &off);
#ifdef HAVE_LIBDEFLATE
	if (z)
		libdeflate_free_decompressor(z);
#endif
}

struct debugfile *debugfile_open(const char *path, const char *root)
{
	struct debugfile *d = calloc(1, sizeof(*d));
	Elf *obj;
	int ofd;

	if (!d || !elfdl_dw()) {
		free(d);
		return NULL;
	}
	elf_version(EV_CURRENT);
	ofd = open_elf(path, &obj);
	if (ofd < 0) {
		free(d);
		return NULL;
	}
	if (has_dwarf(obj)) {
		d->fd = ofd;
		d->elf = obj;
	} else {
		d->fd = find_debug_file(path, root ? root : "/usr/lib/debug", obj, &d->elf);
		elf_end(obj);
		close(ofd);
		if (d->fd < 0) {
			free(d);
			return NULL;
		}
	}
	inflate_sections(d);
	d->dw = dwarf_begin_elf(d->elf, DWARF_C_READ, NULL);
	if (!d->dw) {
		debugfile_close(d);
		return NULL;
	}
	return d;
}

Dwarf *debugfile_dwarf(struct debugfile *d)
{
	return d->dw;
}

void debugfile_close(struct debugfile *d)
{
	if (!d)
		return;
	dwarf_end(d->dw);
	elf_end(d->elf);
	huge_unmap(d->arena, d->arena_len);
	close(d->fd);
	free(d);
}
#else
struct debugfile *debugfile_open(const char *path, const char *root)
{
	return NULL;
}

void debugfile_close(struct debugfile *d)
{
}
#endif
