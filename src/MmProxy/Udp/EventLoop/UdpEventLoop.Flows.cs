using Microsoft.Extensions.Logging;
using MmProxy.Diagnostics;
using MmProxy.Interop;

namespace MmProxy.Udp.EventLoop;

/// <summary>
/// Flows of this loop: opened inline (the socket engine's opener: same rules, fallback port and
/// messages), registered in the epoll by slot and generation, and expired exactly close-after
/// after their last datagram in either direction: activity moves a flow to the tail of the LRU
/// list, the loop sleeps until the head's deadline and closes every flow past it.
/// </summary>
internal sealed partial class UdpEventLoop
{
    private readonly Dictionary<UdpFlowKey, UdpLoopFlow> _flows;
    private readonly UdpFlowLru _lru = new();
    private readonly Stack<int> _freeSlots = new();
    private UdpLoopFlow?[] _slots = new UdpLoopFlow?[64];
    private int _slotsUsed;
    private uint _generation;
    private int _flowCount;

    private UdpLoopFlow? FlowOf(ulong data)
    {
        int slot = (int)(uint)data;
        UdpLoopFlow? flow = (uint)slot < (uint)_slotsUsed ? _slots[slot] : null;
        return flow is not null && flow.Generation == (uint)(data >> 32) ? flow : null;
    }

    private void Touch(UdpLoopFlow flow)
    {
        flow.LastActivity = _now;
        _lru.MoveToTail(flow);
    }

    private UdpLoopFlow? GetOrOpen(in UdpFlowKey key, in NativeSocketAddress from)
    {
        if (_flows.TryGetValue(key, out UdpLoopFlow? flow))
        {
            return flow;
        }

        UdpFlowTable table = _handler.Table;
        if (!table.TryReserve())
        {
            _handler.ReportTableFull(key);
            return null;
        }

        UdpUpstreamOpenResult opened;
        try
        {
            opened = _handler.Opener.Open(key);
        }
        catch
        {
            table.CancelReservation();
            throw;
        }

        if (!opened.Succeeded)
        {
            table.CancelReservation();
            _handler.ReportSetupFailed(key, opened.Error!);
            return null;
        }

        if (opened.UsedFallbackPort)
        {
            _handler.ReportFallbackPort(key, opened.Target!);
        }

        int slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _slotsUsed++;
        if (slot >= _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
        }

        flow = new UdpLoopFlow(key, opened.Socket!, from, opened.Target!, slot, ++_generation);
        int errno = _epoll.Add(flow.Fd, EpollFlags.In, flow.EventData);
        if (errno != 0)
        {
            _freeSlots.Push(slot);
            opened.Socket!.Dispose();
            table.CancelReservation();
            _handler.ReportSetupFailed(key, "epoll_ctl failed: " + Errno.Describe(errno));
            return null;
        }

        _slots[slot] = flow;
        _flows.Add(key, flow);

        // Opening a socket takes a while: the clock moves on, so expiry stays exact from now.
        _now = _context.Time.GetTimestamp();
        flow.LastActivity = _now;
        _lru.Append(flow);
        Volatile.Write(ref _flowCount, _flowCount + 1);
        _handler.ReportFlowCreated(key, flow.Target, _context.Log.IsEnabled(LogLevel.Debug) ? flow.Socket.LocalEndPoint : null);
        return flow;
    }

    /// <summary>Milliseconds until the least recently active flow expires (rounded up: never early), or -1.</summary>
    private int TimeoutMs()
    {
        if (_lru.Head is not { } head)
        {
            return -1;
        }

        long remaining = head.LastActivity + _closeAfterTicks - _context.Time.GetTimestamp();
        if (remaining <= 0)
        {
            return 0;
        }

        long frequency = _context.Time.TimestampFrequency;
        long ms = ((remaining * 1000) + frequency - 1) / frequency;
        return (int)Math.Min(ms, int.MaxValue);
    }

    private void ExpireIdle(long now)
    {
        while (_lru.Head is { } head && now - head.LastActivity >= _closeAfterTicks)
        {
            Close(head);
            _counters.OnFlowExpired();
            if (_context.Log.IsEnabled(LogLevel.Debug))
            {
                long idleMs = (now - head.LastActivity) * 1000 / _context.Time.TimestampFrequency;
                UdpLog.FlowExpired(_context.Log, new LoggedAddress(head.Key.Balancer), new LoggedAddress(head.Key.Client), head.Target,
                    idleMs, head.ToUpstream, head.ToClient);
            }
        }
    }

    private void Close(UdpLoopFlow flow)
    {
        _lru.Remove(flow);
        _flows.Remove(flow.Key);
        _slots[flow.Slot] = null;
        _freeSlots.Push(flow.Slot);
        _ = _epoll.Delete(flow.Fd);
        flow.Socket.Dispose();
        _handler.Table.Release();
        Volatile.Write(ref _flowCount, _flowCount - 1);
    }

    /// <summary>Shutdown: replies need the listening socket, so flows cannot outlive their loop.</summary>
    private void CloseAllFlows()
    {
        while (_lru.Head is { } head)
        {
            Close(head);
        }
    }
}
