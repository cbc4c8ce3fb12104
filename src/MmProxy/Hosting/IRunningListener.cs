using Microsoft.Extensions.Logging;
using MmProxy.Configuration;

namespace MmProxy.Hosting;

/// <summary>
/// One listening port (TCP or UDP) of the configuration-file host: bound first, started once logging
/// is ready (so at startup the sockets are bound while the logger factory is still being built).
/// </summary>
internal interface IRunningListener : IAsyncDisposable
{
    /// <summary>Swappable: a reload replaces the snapshot under running sockets.</summary>
    AllowedSubnetsProvider Subnets { get; }

    /// <summary>Faults when the listener dies; never completes otherwise.</summary>
    Task Completion { get; }

    int SocketCount { get; }

    /// <summary>Creates the data path (handler, flow table) and starts the accept/receive loops.</summary>
    void Start(ILoggerFactory loggerFactory);
}
