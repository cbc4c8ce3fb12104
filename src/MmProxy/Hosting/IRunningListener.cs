using MmProxy.Configuration;

namespace MmProxy.Hosting;

/// <summary>One open listening port (TCP or UDP) of the configuration-file host.</summary>
internal interface IRunningListener : IAsyncDisposable
{
    /// <summary>Swappable: a reload replaces the snapshot under running sockets.</summary>
    AllowedSubnetsProvider Subnets { get; }

    /// <summary>Faults when the listener dies; never completes otherwise.</summary>
    Task Completion { get; }
}
