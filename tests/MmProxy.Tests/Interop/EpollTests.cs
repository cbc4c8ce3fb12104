using System.Net;
using System.Net.Sockets;
using MmProxy.Interop;

namespace MmProxy.Tests.Interop;

public sealed class EpollTests
{
    [Fact]
    public void ReportsReadableSocketWithItsData()
    {
        Assert.True(Epoll.IsSupported, "the native loops need x86-64 Linux");
        using Epoll epoll = Epoll.TryCreate(out int errno) ?? throw new InvalidOperationException(Errno.Describe(errno));
        using var a = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var b = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        a.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        b.Connect(a.LocalEndPoint!);
        Assert.Equal(0, epoll.Add((int)a.Handle, EpollFlags.In, 42));

        Span<EpollEvent> events = stackalloc EpollEvent[8];
        Assert.Equal(0, epoll.Wait(events, 0));
        b.Send([1, 2, 3]);
        int n = epoll.Wait(events, 5000);
        Assert.Equal(1, n);
        Assert.Equal(42UL, events[0].Data);
        Assert.NotEqual(0u, events[0].Events & EpollFlags.In);

        Assert.Equal(0, epoll.Delete((int)a.Handle));
        Assert.Equal(0, epoll.Wait(events, 0));
    }

    [Fact]
    public void WakeFromAnotherThreadEndsTheWait()
    {
        using Epoll epoll = Epoll.TryCreate(out int errno) ?? throw new InvalidOperationException(Errno.Describe(errno));
        var waiter = new Thread(() => epoll.Wake());
        waiter.Start();
        Span<EpollEvent> events = stackalloc EpollEvent[4];
        int n = epoll.Wait(events, 10_000);
        waiter.Join();
        Assert.Equal(1, n);
        Assert.Equal(Epoll.WakeData, events[0].Data);
        // Drained: the next wait sees nothing.
        Assert.Equal(0, epoll.Wait(events, 0));
    }

    [Fact]
    public void BadDescriptorIsAnErrno()
    {
        using Epoll epoll = Epoll.TryCreate(out int errno) ?? throw new InvalidOperationException(Errno.Describe(errno));
        Assert.Equal(9, epoll.Add(-1, EpollFlags.In, 1)); // EBADF
    }
}
