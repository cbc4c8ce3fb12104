using Microsoft.Extensions.Logging;
using MmProxy.Diagnostics;

namespace MmProxy.Hosting;

/// <summary>
/// The environment switches of earlier versions: mmproxy reads none of them any more, but a unit
/// file that still sets one should say so rather than be ignored in silence.
/// </summary>
internal static class RetiredSwitches
{
    private static readonly (string Name, string Instead)[] Retired =
    [
        ("MMPROXY_ENGINE", "there is one engine per protocol now"),
        ("MMPROXY_RELAY", "use --splice-threshold 0 to copy every byte"),
        ("MMPROXY_COPY_THRESHOLD", "use --splice-threshold"),
        ("MMPROXY_PIPE_SIZE", "use --pipe-size"),
        ("MMPROXY_UDP_GSO", "use --udp-gso off"),
        ("MMPROXY_BUSY_POLL_US", "busy polling is gone"),
    ];

    public static void Warn(ILogger log)
    {
        foreach ((string name, string instead) in Retired)
        {
            if (Environment.GetEnvironmentVariable(name) is not null)
            {
                ProxyLog.ConfigurationWarning(log, $"{name} is set but no longer read: {instead}");
            }
        }
    }
}
