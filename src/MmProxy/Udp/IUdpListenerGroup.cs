using System.Net;
using MmProxy.Configuration;

namespace MmProxy.Udp;

/// <summary>
/// The listening sockets of one UDP address and what receives on them: the runtime's sockets
/// (<see cref="UdpListenerGroup"/>) or native event loops (<see cref="EventLoop.UdpEventLoopGroup"/>).
/// </summary>
internal interface IUdpListenerGroup : IAsyncDisposable
{
    IPEndPoint EndPoint { get; }

    int Count { get; }

    /// <summary>Faults when a listener dies (the proxy must exit non-zero); never completes otherwise.</summary>
    Task Completion { get; }

    void Start(UdpDatagramHandler handler, AllowedSubnetsProvider subnets);
}
