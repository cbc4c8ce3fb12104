using MmProxy.Configuration;
using MmProxy.Interop;
using MmProxy.Loop;
using MmProxy.ProxyProtocol;

namespace MmProxy.Udp;

/// <summary>
/// The flows of one loop: found by key, opened inline (same rules, fallback port and messages for
/// every flow), registered in the loop's epoll by slot and generation, and expired exactly
/// close-after after their last datagram in either direction: activity moves a flow to the tail of
/// its <see cref="DeadlineList{T}"/>, the loop sleeps until the head's deadline and closes every
/// flow past it. v2-first listeners also index their flows by load balancer endpoint: each endpoint
/// has at most one session (a header naming another client re-targets it), and headerless datagrams
/// find it there. Loop thread only; <see cref="Count"/> may be read anywhere.
/// </summary>
internal sealed class UdpFlows
{
    private readonly UdpListenerContext _listener;
    private readonly Epoll _epoll;
    private readonly LoopClock _clock;
    private readonly long _closeAfterTicks;
    private readonly Dictionary<UdpFlowKey, UdpFlow> _byKey;
    private readonly Dictionary<ProxyAddress, UdpFlow>? _sessions;
    private readonly ProxyOptions _options;
    private readonly ProxyAddress _listenAddress;
    private readonly DeadlineList<UdpFlow> _expiry = new();
    private readonly Stack<int> _freeSlots = new();
    private readonly List<UdpFlow> _retired = [];
    private UdpFlow?[] _slots = new UdpFlow?[64];
    private int _slotsUsed;
    private uint _generation;
    private int _count;

    public UdpFlows(UdpListenerContext listener, Epoll epoll, LoopClock clock, System.Net.IPEndPoint endPoint)
    {
        _options = listener.Options;
        _listenAddress = ProxyAddress.FromIPEndPoint(endPoint);
        _listener = listener;
        _epoll = epoll;
        _clock = clock;
        _closeAfterTicks = clock.Ticks(listener.Options.CloseAfter);
        _byKey = new Dictionary<UdpFlowKey, UdpFlow>(Math.Min(listener.Limit.MaxFlows, 1024));
        UdpHeaderFormat format = listener.Options.UdpHeader;
        _sessions = listener.Options.Role == ListenerRole.Receive && format == UdpHeaderFormat.V2First ? new Dictionary<ProxyAddress, UdpFlow>(Math.Min(listener.Limit.MaxFlows, 1024)) : null;
    }

    /// <summary>Flows open on this loop.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>When the least recently active flow expires, or <see cref="long.MaxValue"/>.</summary>
    public long NextExpiry => _expiry.NextDeadline;

    /// <summary>The flow an event is for, or null when it closed since.</summary>
    public UdpFlow? Resolve(ulong data)
    {
        int slot = (int)(uint)data;
        UdpFlow? flow = (uint)slot < (uint)_slotsUsed ? _slots[slot] : null;
        return flow is not null && flow.Generation == (uint)(data >> 32) ? flow : null;
    }

    /// <summary>A datagram went either way: the flow expires close-after from now.</summary>
    public void Touch(UdpFlow flow)
    {
        flow.LastActivity = _clock.Now;
        _expiry.Schedule(flow.Expiry, _clock.Now + _closeAfterTicks);
    }

    /// <summary>v2-first: the session of a load balancer endpoint, or null when it has none.</summary>
    public UdpFlow? SessionOf(in ProxyAddress balancer) =>
        _sessions is not null && _sessions.TryGetValue(balancer, out UdpFlow? flow) ? flow : null;

    /// <summary>The flow for <paramref name="key"/>, opened now if need be; null when it cannot be (counted and logged).</summary>
    public UdpFlow? GetOrOpen(in UdpFlowKey key, in NativeSocketAddress from)
    {
        if (_byKey.TryGetValue(key, out UdpFlow? flow))
        {
            return flow;
        }

        if (_sessions is not null && _sessions.TryGetValue(key.Balancer, out UdpFlow? previous))
        {
            // v2-first: a header naming another client ends the endpoint's session first (and frees its
            // place in the bound). Its socket stays open until the batch is sent: earlier datagrams of
            // this batch still go out on it, and its descriptor number must not be reused meanwhile.
            Detach(previous);
            _retired.Add(previous);
            _listener.Report.SessionRetargeted(previous, key.Client);
        }

        UdpFlowLimit limit = _listener.Limit;
        if (!limit.TryReserve())
        {
            _listener.Report.TableFull(key, limit.MaxFlows);
            return null;
        }

        UdpUpstreamOpenResult opened;
        try
        {
            opened = _listener.Opener.Open(key);
        }
        catch
        {
            limit.Release();
            throw;
        }

        if (!opened.Succeeded)
        {
            limit.Release();
            _listener.Report.SetupFailed(key, opened.Error!);
            return null;
        }

        if (opened.UsedFallbackPort)
        {
            _listener.Report.FallbackPort(key, opened.Target!);
        }

        int slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _slotsUsed++;
        if (slot >= _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
        }

        flow = new UdpFlow(key, opened.Fd, from, opened.Target!, slot, ++_generation, NewHeader(key));
        Errno errno = _epoll.Add(flow.Fd, EpollFlags.In, flow.EventData);
        if (errno != Errno.Success)
        {
            _freeSlots.Push(slot);
            _ = Descriptor.Close(opened.Fd);
            limit.Release();
            _listener.Report.SetupFailed(key, "epoll_ctl failed: " + errno.Describe());
            return null;
        }

        _slots[slot] = flow;
        _byKey.Add(key, flow);
        _sessions?.Add(key.Balancer, flow);

        // Opening a socket takes a while: the clock moves on, so expiry stays exact from now.
        _clock.Update();
        Touch(flow);
        Volatile.Write(ref _count, _count + 1);
        _listener.Report.FlowCreated(flow);
        return flow;
    }

    /// <summary>The flow's header: sending, the one naming its client (written once); receiving SPP, room for the client's.</summary>
    private byte[]? NewHeader(in UdpFlowKey key)
    {
        if (_options.Role == ListenerRole.Send)
        {
            Span<byte> header = stackalloc byte[Send.SendHeaderComposer.MaxLength];
            return header[..Send.SendHeaderComposer.Write(header, _options, key.Balancer, _listenAddress)].ToArray();
        }

        return _options.UdpHeader == UdpHeaderFormat.Spp ? new byte[SppHeader.Length] : null;
    }

    /// <summary>Closes every flow idle for close-after at <paramref name="now"/>.</summary>
    public void Expire(long now)
    {
        while (_expiry.TryTakeExpired(now, out UdpFlow? flow))
        {
            Close(flow);
            _listener.Report.FlowExpired(flow, _clock.Milliseconds(now - flow.LastActivity));
        }
    }

    /// <summary>Shutdown: replies need the listening socket, so flows cannot outlive their loop.</summary>
    public void CloseAll()
    {
        while (_expiry.First is { } flow)
        {
            Close(flow);
        }

        CloseRetired();
    }

    /// <summary>After a receive batch is sent: the sockets of the sessions it re-targeted.</summary>
    public void CloseRetired()
    {
        foreach (UdpFlow flow in _retired)
        {
            Release(flow);
        }

        _retired.Clear();
    }

    private void Close(UdpFlow flow)
    {
        Detach(flow);
        Release(flow);
    }

    /// <summary>Out of the table: no datagram finds it any more; its place in the bound is free.</summary>
    private void Detach(UdpFlow flow)
    {
        flow.Expiry.Cancel();
        _byKey.Remove(flow.Key);
        _sessions?.Remove(flow.Key.Balancer);
        _listener.Limit.Release();
        Volatile.Write(ref _count, _count - 1);
    }

    /// <summary>Its slot, epoll registration and socket.</summary>
    private void Release(UdpFlow flow)
    {
        _slots[flow.Slot] = null;
        _freeSlots.Push(flow.Slot);
        _ = _epoll.Delete(flow.Fd);
        _ = Descriptor.Close(flow.Fd);
    }
}
