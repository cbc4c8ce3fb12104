using System.Net;
using System.Net.Sockets;

namespace MmProxy.Tcp;

/// <summary>
/// One accepted connection queued to the thread pool, so the accept loop goes straight back to
/// accepting. The work item itself is the only per-connection object besides the relay.
/// </summary>
internal sealed class TcpConnection(TcpConnectionHandler handler, Socket socket, IPEndPoint peer) : IThreadPoolWorkItem
{
    public void Execute() => _ = handler.HandleAsync(socket, peer);
}
