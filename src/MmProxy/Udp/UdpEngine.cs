using System.Net;
using Microsoft.Extensions.Logging;
using MmProxy.Interop;
using MmProxy.Udp.EventLoop;

namespace MmProxy.Udp;

/// <summary>
/// Which UDP engine serves the listeners: the native epoll loop with recvmmsg/sendmmsg (default
/// where <see cref="Epoll.IsSupported"/>) or the runtime's sockets. MMPROXY_ENGINE=sockets (or
/// =loop) overrides; the TCP side reads the same variable.
/// </summary>
internal static class UdpEngine
{
    public const string EnvironmentVariable = "MMPROXY_ENGINE";

    public static bool UseLoop(string? setting) => setting?.Trim().ToUpperInvariant() switch
    {
        "SOCKETS" => false,
        "LOOP" => Epoll.IsSupported,
        _ => DefaultIsLoop && Epoll.IsSupported,
    };

    /// <summary>The default when MMPROXY_ENGINE is not set.</summary>
    public static bool DefaultIsLoop => true;

    public static IUdpListenerGroup? Open(IPEndPoint endPoint, int count, ILogger log, TimeProvider time, out string? error) =>
        UseLoop(Environment.GetEnvironmentVariable(EnvironmentVariable))
            ? UdpEventLoopGroup.Open(endPoint, count, log, out error)
            : UdpListenerGroup.Open(endPoint, count, log, time, out error);
}
