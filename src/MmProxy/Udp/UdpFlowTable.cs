using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace MmProxy.Udp;

/// <summary>
/// The flows by key, bounded by --max-udp-flows. When full, new flows are dropped (and counted)
/// while existing flows go on: evicting the least recently used flow instead would let a burst of
/// new clients cut off established ones mid-conversation, and would cost an LRU update per datagram.
/// Lookups are lock-free and allocation-free; a slot is reserved before a flow's socket is opened,
/// so the bound holds even with several listeners creating flows at once.
/// </summary>
internal sealed class UdpFlowTable : IDisposable
{
    private readonly ConcurrentDictionary<UdpFlowKey, UdpFlow> _flows;
    private int _reserved;
    private bool _disposed;

    public UdpFlowTable(int maxFlows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFlows, 1);
        MaxFlows = maxFlows;
        _flows = new ConcurrentDictionary<UdpFlowKey, UdpFlow>(Environment.ProcessorCount, Math.Min(maxFlows, 1024));
    }

    public int MaxFlows { get; }

    /// <summary>Flows in the table plus slots reserved for flows being opened.</summary>
    public int Count => Volatile.Read(ref _reserved);

    public bool TryGet(in UdpFlowKey key, [NotNullWhen(true)] out UdpFlow? flow) => _flows.TryGetValue(key, out flow);

    /// <summary>Claims room for one new flow; false when the table is full (drop the datagram).</summary>
    public bool TryReserve()
    {
        if (Interlocked.Increment(ref _reserved) > MaxFlows)
        {
            Interlocked.Decrement(ref _reserved);
            return false;
        }

        return true;
    }

    /// <summary>Gives back a reservation whose flow could not be opened.</summary>
    public void CancelReservation() => Interlocked.Decrement(ref _reserved);

    /// <summary>
    /// Frees the slot of a flow kept outside this table (the native loops keep their own flows,
    /// single-threaded, and use the table only for the shared bound and the count).
    /// </summary>
    public void Release() => Interlocked.Decrement(ref _reserved);

    /// <summary>
    /// Adds a flow opened under a reservation. False when the key is taken (another listener won the
    /// race) or the table is closed: the reservation is released, the caller closes its flow and
    /// uses <paramref name="existing"/> if any.
    /// </summary>
    public bool TryAdd(UdpFlow flow, out UdpFlow? existing)
    {
        ArgumentNullException.ThrowIfNull(flow);
        existing = null;
        if (Volatile.Read(ref _disposed) || !_flows.TryAdd(flow.Key, flow))
        {
            Interlocked.Decrement(ref _reserved);
            if (!Volatile.Read(ref _disposed))
            {
                _flows.TryGetValue(flow.Key, out existing);
            }

            return false;
        }

        return true;
    }

    /// <summary>Removes this very flow (not a newer one under the same key) and frees its slot.</summary>
    public bool Remove(UdpFlow flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (_flows.TryRemove(new KeyValuePair<UdpFlowKey, UdpFlow>(flow.Key, flow)))
        {
            Interlocked.Decrement(ref _reserved);
            return true;
        }

        return false;
    }

    /// <summary>Closes every flow (shutdown).</summary>
    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        foreach (KeyValuePair<UdpFlowKey, UdpFlow> entry in _flows)
        {
            if (_flows.TryRemove(entry))
            {
                Interlocked.Decrement(ref _reserved);
                entry.Value.Close();
            }
        }
    }
}
