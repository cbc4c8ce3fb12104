using Microsoft.Extensions.Logging;
using MmProxy.Diagnostics;
using MmProxy.Hosting;

namespace MmProxy.Udp;

/// <summary>
/// The --max-udp-flows bound of one listener, shared by its loops (each loop keeps its own flows).
/// When full, new flows are dropped (and counted) while existing flows go on: evicting the least
/// recently used flow instead would let a burst of new clients cut off established ones
/// mid-conversation. A slot is reserved before a flow's socket is opened, so the bound holds with
/// several loops opening flows at once. Thread-safe.
/// </summary>
internal sealed class UdpFlowLimit
{
    private int _reserved;

    public UdpFlowLimit(int maxFlows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFlows, 1);
        MaxFlows = maxFlows;
    }

    public int MaxFlows { get; }

    /// <summary>Flows open plus slots reserved for flows being opened.</summary>
    public int Count => Volatile.Read(ref _reserved);

    /// <summary>
    /// The bound, capped by the open-file limit: each flow holds a socket, and a process that uses up
    /// its descriptors is aborted by the runtime (it cannot start a thread), so the table must fill
    /// before the descriptors do.
    /// </summary>
    public static UdpFlowLimit Create(int maxFlows, ILogger log)
    {
        if (KernelLimits.FreeDescriptors(KernelLimits.DescriptorReserve) is not { } free || free >= maxFlows)
        {
            return new UdpFlowLimit(maxFlows);
        }

        int capped = (int)Math.Max(1, free);
        UdpLog.FlowsCappedByFileLimit(log, KernelLimits.MaxOpenFiles() ?? 0, capped, maxFlows);
        return new UdpFlowLimit(capped);
    }

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

    /// <summary>Gives back a reservation: the flow could not be opened, or it closed.</summary>
    public void Release() => Interlocked.Decrement(ref _reserved);
}
