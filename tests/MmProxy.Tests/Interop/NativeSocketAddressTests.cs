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
        SysResult created = RawSocket.Create(AddressFamily.InterNetworkV6, SocketType.Dgram);
        Assert.True(created.Succeeded, created.Error.Describe());
        try
        {
            Assert.Equal(Errno.Success, RawSocket.Bind(created.Int, NativeSocketAddress.FromIPEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, 0))));
            IPEndPoint? endPoint = RawSocket.LocalEndPoint(created.Int);
            Assert.NotNull(endPoint);
            Assert.Equal(IPAddress.IPv6Loopback, endPoint.Address);
            Assert.NotEqual(0, endPoint.Port);
            Assert.Equal(AddressFamily.InterNetworkV6, endPoint.AddressFamily);
        }
        finally
        {
            _ = Descriptor.Close(created.Int);
        }
    }
}
