namespace MmProxy.Tcp.EventLoop;

/// <summary>How TCP connections are served.</summary>
internal enum TcpEngine
{
    /// <summary>The runtime's socket engine: async Socket operations, thread-pool continuations.</summary>
    Sockets,

    /// <summary>One native epoll loop thread per listening socket on raw descriptors (<see cref="TcpEventLoop"/>).</summary>
    Loop,
}
