/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RTL8139 transmit, C mode (data sheet 6.2, "Transmit Status Register"):
 * four TSD/TSAD slots used round robin. Writing a slot's TSD (dword only)
 * with OWN = 0 hands the buffer at TSAD to the NIC; it sends the SIZE
 * bytes and sets OWN and TOK. Early TX threshold bits are kept as
 * written. Also the output path shared with C+ mode: wire (with flow
 * control) or the TCR loopback queue.
 */
#include "hw/net/rtl8139-int.h"

#define VLAN_OFFSET 12 /* 802.1Q tag goes after the two addresses */

NetSendResult rtl8139_tx_output(Rtl8139State *s, const uint8_t *buf, size_t len,
                                const uint8_t *tag, const NetOffload *off)
{
    struct iovec iov[3];
    NetSendResult res;
    int n = 0;

    if (tag && len >= VLAN_OFFSET) {
        iov[n++] = (struct iovec){(void *)buf, VLAN_OFFSET};
        iov[n++] = (struct iovec){(void *)tag, 4};
        iov[n++] =
            (struct iovec){(void *)(buf + VLAN_OFFSET), len - VLAN_OFFSET};
    } else {
        iov[n++] = (struct iovec){(void *)buf, len};
    }
    if (rtl8139_loopback(s)) {
        if (!rtl8139_loopback_push(s, iov, n)) {
            /* RX has not taken the earlier frames yet: wait for it. */
            s->tx_blocked = true;
            return NET_SEND_BUSY;
        }
        return NET_SEND_OK;
    }
    res = off ? net_peer_send_offload(&s->nc, off, iov, n)
              : net_peer_send(&s->nc, iov, n);
    if (res == NET_SEND_BUSY) {
        s->tx_blocked = true;
    } else if (res == NET_SEND_DROP) {
        /* No backend or carrier: the frame left the NIC all the same. */
        s->drops.tx_dropped++;
    }
    return res;
}

void rtl8139_tsd_write(Rtl8139State *s, unsigned slot, uint32_t val)
{
    /* The write clears the status bits (CRS ... TUN) of the slot. */
    s->tsd[slot] = val & RTL_TSD_WRITABLE;
    rtl8139_tx_c_run(s);
}

/* Send one armed slot; false if the output is busy (slot stays armed). */
static bool rtl8139_tx_c_slot(Rtl8139State *s, unsigned slot)
{
    uint32_t size = s->tsd[slot] & RTL_TSD_SIZE_MASK;
    uint8_t *buf = s->cp_txbuf;

    if (!pci_dma_read(&s->pci, s->tsad[slot], buf, size)) {
        s->tsd[slot] |= RTL_TSD_OWN | RTL_TSD_TABT;
        s->tally.tx_err++;
        s->tally.tx_abt++;
        rtl8139_dma_error(s, "TX buffer", s->tsad[slot]);
        rtl8139_raise(s, RTL_INT_TER);
        return true;
    }
    if (rtl8139_tx_output(s, buf, size, NULL, NULL) == NET_SEND_BUSY) {
        return false;
    }
    s->tsd[slot] |= RTL_TSD_OWN | RTL_TSD_TOK;
    s->tally.tx_ok++;
    rtl8139_raise(s, RTL_INT_TOK);
    return true;
}

void rtl8139_tx_c_run(Rtl8139State *s)
{
    if (s->in_tx || s->tx_blocked || s->cplus_mode || !(s->cr & RTL_CR_TE)) {
        return;
    }
    s->in_tx = true;
    /* In slot order from the current one, as the hardware does. */
    for (unsigned i = 0; i < 4; i++) {
        unsigned slot = s->tx_cur;

        if ((s->tsd[slot] & RTL_TSD_OWN) || !rtl8139_tx_c_slot(s, slot)) {
            break;
        }
        s->tx_cur = (slot + 1) % 4;
    }
    s->in_tx = false;
    /*
     * No net_peer_flush here: a driver hands over one slot per TSD write,
     * and the backend writes what it took before the main loop waits
     * (net.h), i.e. after this register write has been answered. The
     * vCPU (qtest client, ioreq) then resumes without waiting for the
     * host's write, and TSD writes handled in one dispatch leave in one
     * write (bench/README.md, C TX rows).
     */
}

void rtl8139_tx_resume(Rtl8139State *s)
{
    if (!s->tx_blocked) {
        return;
    }
    s->tx_blocked = false;
    if (s->cplus_mode) {
        rtl8139_cp_tx_resume(s);
    } else {
        rtl8139_tx_c_run(s);
    }
}
