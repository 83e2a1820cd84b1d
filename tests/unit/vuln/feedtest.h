/* Test scaffolding shared by the feed parser tests: copies of affected entries kept by the
 * collecting sinks, reading test data, and the sinks' meta log. */
#ifndef FP_FEEDTEST_H
#define FP_FEEDTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetpatch/reader.h"
#include "fleetpatch/util.h"
#include "fleetpatch/vuln.h"
#include "test.h"

/* An affected entry as a sink keeps it (strings copied into an arena). */
struct ft_aff {
        const char *distro, *release, *package, *fixed, *note;
        enum fp_vuln_state state;
        enum fp_severity severity;
        bool source;
};

static inline const char *ft_dup(struct fp_arena *arena, const char *s)
{
        return s ? fp_arena_strdup(arena, s) : NULL;
}

static inline struct ft_aff ft_aff_copy(struct fp_arena *arena, const struct fp_vuln_affected *s)
{
        return (struct ft_aff){ft_dup(arena, s->distro),
                               ft_dup(arena, s->release),
                               ft_dup(arena, s->package),
                               ft_dup(arena, s->fixed),
                               ft_dup(arena, s->note),
                               s->state,
                               s->severity,
                               s->source};
}

/* The entry of aff[0..naff) for package pkg in release rel, or NULL. */
static inline const struct ft_aff *ft_aff_find(const struct ft_aff *aff, size_t naff,
                                               const char *pkg, const char *rel)
{
        for (size_t i = 0; i < naff; i++)
                if (strcmp(aff[i].package, pkg) == 0 && strcmp(aff[i].release, rel) == 0)
                        return &aff[i];
        return NULL;
}

/* The shared test data file rel (malloc'd, up to 16 MiB); exits when it cannot be read. */
static inline char *ft_slurp(const char *rel, size_t *len)
{
        char *buf = NULL;
        struct fp_diag d;
        if (fp_read_file(fp_test_shared_path(rel), 1 << 24, &buf, len, &d) != FP_OK) {
                fprintf(stderr, "cannot read %s: %s\n", rel, d.msg);
                exit(1);
        }
        return buf;
}

/* Append "key=value;" to the NUL-terminated log meta[0..size), truncating when full. */
static inline void ft_meta_append(char *meta, size_t size, const char *key, const char *value)
{
        size_t n = strlen(meta);
        snprintf(meta + n, size - n, "%s=%s;", key, value);
}

#endif
