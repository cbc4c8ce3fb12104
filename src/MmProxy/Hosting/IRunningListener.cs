using System.Net;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;

namespace MmProxy.Hosting;

/// <summary>
/// One listening port (TCP or UDP) of the host: bound first, started once logging is ready (so at
/// startup the sockets are bound while the logger factory is still being built).
/// </summary>
internal interface IRunningListener : IAsyncDisposable
{
    /// <summary>Swappable: a reload replaces the snapshot under running sockets.</summary>
    AllowedSubnetsProvider Subnets { get; }

    /// <summary>A dynamic destination's allow list, swapped by a reload like the subnets; null otherwise.</summary>
    AllowedDestinationsProvider? Destinations { get; }

    /// <summary>Faults when the listener dies; never completes otherwise.</summary>
    Task Completion { get; }

    int SocketCount { get; }

    /// <summary>The address bound (the port the kernel chose for port 0).</summary>
    IPEndPoint EndPoint { get; }

    /// <summary>Starts the loops; the reason when they cannot be created (the listener stays closed), or null.</summary>
    string? Start(ILoggerFactory loggerFactory);
}
