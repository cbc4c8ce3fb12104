namespace MmProxy.Tcp;

/// <summary>Where a connection is in its data path.</summary>
internal enum TcpPhase
{
    Free,
    Header,
    Connecting,
    Relaying,
}
