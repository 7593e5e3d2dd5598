/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Basic types and little/big-endian load/store helpers shared by every
 * emunet module. Guest-visible structures are little-endian (x86 guests,
 * PCI); network headers are big-endian.
 */
#ifndef EMUNET_TYPES_H
#define EMUNET_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A guest-physical address, or an offset inside an I/O region. */
typedef uint64_t hwaddr;

static inline uint16_t ld16_le(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)(b[0] | (b[1] << 8));
}

static inline uint32_t ld32_le(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
           ((uint32_t)b[3] << 24);
}

static inline uint64_t ld64_le(const void *p)
{
    const uint8_t *b = p;
    return (uint64_t)ld32_le(b) | ((uint64_t)ld32_le(b + 4) << 32);
}

static inline void st16_le(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

static inline void st32_le(void *p, uint32_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

static inline void st64_le(void *p, uint64_t v)
{
    st32_le(p, (uint32_t)v);
    st32_le((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t ld16_be(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)((b[0] << 8) | b[1]);
}

static inline uint32_t ld32_be(const void *p)
{
    const uint8_t *b = p;
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
           ((uint32_t)b[2] << 8) | (uint32_t)b[3];
}

static inline void st16_be(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static inline void st32_be(void *p, uint32_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

#endif
