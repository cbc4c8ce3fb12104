using Microsoft.Extensions.Logging;
using MmProxy.Diagnostics;
using MmProxy.Hosting;

namespace MmProxy.Udp;

/// <summary>
/// Caps the flow table by the open-file limit: each flow holds a socket, and a process that uses up
/// its descriptors is aborted by the runtime (it cannot start a thread or a timer), so the table
/// must fill before the descriptors do. Datagrams of new flows are then dropped as "table full".
/// </summary>
internal static class UdpFlowBudget
{
    /// <summary>Descriptors kept free for the runtime, as the TCP listener keeps.</summary>
    public const int DescriptorReserve = 64;

    public static int Cap(int maxFlows, ILogger log)
    {
        if (KernelLimits.FreeDescriptors(DescriptorReserve) is not { } free || free >= maxFlows)
        {
            return maxFlows;
        }

        int capped = (int)Math.Max(1, free);
        UdpLog.FlowsCappedByFileLimit(log, KernelLimits.MaxOpenFiles() ?? 0, capped, maxFlows);
        return capped;
    }
}
