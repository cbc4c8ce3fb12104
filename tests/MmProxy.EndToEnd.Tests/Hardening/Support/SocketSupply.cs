using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Hardening.Support;

/// <summary>
/// TCP sockets created inside a network namespace in batches: switching namespaces costs a thread
/// per call, which dominates when a scenario makes tens of thousands of connections.
/// </summary>
internal sealed class SocketSupply(string ns, AddressFamily family, int batch = 256) : IDisposable
{
    private readonly Queue<Socket> _ready = new();

    public Socket Take()
    {
        lock (_ready)
        {
            if (_ready.Count == 0)
            {
                foreach (Socket s in NetworkNamespace.Run(ns, () => Enumerable.Range(0, batch)
                    .Select(_ => new Socket(family, SocketType.Stream, ProtocolType.Tcp)).ToArray()))
                {
                    _ready.Enqueue(s);
                }
            }
            return _ready.Dequeue();
        }
    }

    public void Dispose()
    {
        lock (_ready)
        {
            while (_ready.Count > 0)
            {
                _ready.Dequeue().Dispose();
            }
        }
    }
}
