namespace MmProxy.Tcp;

/// <summary>The phase after accept: read the client's PROXY header (receiving side) or write one for it (sending side).</summary>
internal interface ITcpConnectionStart
{
    void Start(TcpConnection c);
}
