namespace MmProxy.Tcp.EventLoop;

/// <summary>Where a loop connection is in its data path.</summary>
internal enum TcpLoopPhase
{
    Free,
    Header,
    Connecting,
    Relaying,
}
