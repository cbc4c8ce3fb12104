using System.Runtime.CompilerServices;
using MmProxy.Interop;

namespace MmProxy.Tests.Interop;

/// <summary>The recvmmsg/sendmmsg structures as LP64 Linux (x86-64, arm64) lays them out: the kernel reads them by offset.</summary>
public sealed unsafe class MessageLayoutTests
{
    [Fact]
    public void Message_structures_have_the_lp64_sizes()
    {
        Assert.Equal(16, sizeof(IoVec));
        Assert.Equal(56, sizeof(MsgHdr));
        Assert.Equal(64, sizeof(MMsgHdr));
        Assert.Equal(16, Unsafe.SizeOf<IoVec>());
        Assert.Equal(56, Unsafe.SizeOf<MsgHdr>());
        Assert.Equal(64, Unsafe.SizeOf<MMsgHdr>());
    }

    [Fact]
    public void Msghdr_fields_sit_at_the_kernels_offsets()
    {
        MsgHdr h = default;
        byte* start = (byte*)&h;
        Assert.Equal(0, (byte*)&h.Name - start);
        Assert.Equal(8, (byte*)&h.NameLength - start);
        Assert.Equal(16, (byte*)&h.Iov - start);
        Assert.Equal(24, (byte*)&h.IovLength - start);
        Assert.Equal(32, (byte*)&h.Control - start);
        Assert.Equal(40, (byte*)&h.ControlLength - start);
        Assert.Equal(48, (byte*)&h.Flags - start);

        MMsgHdr m = default;
        Assert.Equal(0, (byte*)&m.Header - (byte*)&m);
        Assert.Equal(56, (byte*)&m.Length - (byte*)&m);

        IoVec v = default;
        Assert.Equal(0, (byte*)&v.Base - (byte*)&v);
        Assert.Equal(8, (byte*)&v.Length - (byte*)&v);
    }

    [Fact]
    public void Socket_address_holds_a_sockaddr_in6_at_its_start()
    {
        // msg_name points at the struct itself, with msg_namelen = Capacity: the bytes must come first.
        Assert.Equal(28, NativeSocketAddress.Capacity);
        Assert.Equal(32, sizeof(NativeSocketAddress));
        NativeSocketAddress a = default;
        Span<byte> bytes = a.AsSpan();
        Assert.Equal(NativeSocketAddress.Capacity, bytes.Length);
        Assert.Equal(0, (byte*)Unsafe.AsPointer(ref bytes[0]) - (byte*)&a);
        Assert.Equal(32, Unsafe.SizeOf<NativeSocketAddress>());
    }

    /// <summary>A copy (by value, through a generic method) keeps the bytes and the length.</summary>
    [Fact]
    public void Socket_address_copies_keep_the_length()
    {
        NativeSocketAddress a = NativeSocketAddress.FromIPEndPoint(System.Net.IPEndPoint.Parse("[2001:db8::1]:443"));
        NativeSocketAddress copy = PassThrough(a);
        Assert.Equal(NativeSocketAddress.IPv6Length, copy.Length);
        Assert.True(a.Equals(copy));
        Assert.Equal(a, copy);
    }

    private static T PassThrough<T>(T value) => value;
}
