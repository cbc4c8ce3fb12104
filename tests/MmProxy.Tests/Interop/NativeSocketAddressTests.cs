using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MmProxy.Interop;
using MmProxy.ProxyProtocol;

namespace MmProxy.Tests.Interop;

public sealed unsafe class NativeSocketAddressTests
{
    [Theory]
    [InlineData("192.0.2.1", 56324)]
    [InlineData("2001:db8::1", 443)]
    [InlineData("::ffff:192.0.2.7", 1)]
    public void RoundTripsThroughEndPointAndProxyAddress(string ip, int port)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(ip), port);
        NativeSocketAddress a = NativeSocketAddress.FromIPEndPoint(endPoint);
        Assert.Equal(endPoint, a.ToIPEndPoint());
        Assert.Equal((ushort)port, a.Port);
        Assert.True(a.TryGetProxyAddress(out ProxyAddress proxy));
        NativeSocketAddress b = NativeSocketAddress.FromProxyAddress(proxy);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Fact]
    public void MatchesTheKernelsLayoutForBindAndGetSockName()
    {
        int fd = SocketNativeMethods.Socket(SocketNativeMethods.AfInet6, SocketNativeMethods.SockDgram | SocketNativeMethods.SockCloExec, 0);
        Assert.True(fd >= 0, Errno.Describe(Marshal.GetLastPInvokeError()));
        try
        {
            NativeSocketAddress bind = NativeSocketAddress.FromIPEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            fixed (byte* p = bind.AsSpan())
            {
                Assert.Equal(0, SocketNativeMethods.Bind(fd, p, (uint)bind.Length));
            }

            var bound = default(NativeSocketAddress);
            uint length = NativeSocketAddress.Capacity;
            fixed (byte* p = bound.AsSpan())
            {
                Assert.Equal(0, SocketNativeMethods.GetSockName(fd, p, &length));
            }

            bound.Length = (int)length;
            IPEndPoint? endPoint = bound.ToIPEndPoint();
            Assert.NotNull(endPoint);
            Assert.Equal(IPAddress.IPv6Loopback, endPoint.Address);
            Assert.NotEqual(0, endPoint.Port);
            Assert.Equal(AddressFamily.InterNetworkV6, endPoint.AddressFamily);
        }
        finally
        {
            _ = DescriptorNativeMethods.Close(fd);
        }
    }
}
