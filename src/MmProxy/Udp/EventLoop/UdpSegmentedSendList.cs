using System.Runtime.InteropServices;
using MmProxy.Interop;

namespace MmProxy.Udp.EventLoop;

/// <summary>
/// Native message headers for UDP GSO sends: each one covers a run of datagrams (iovecs of a
/// <see cref="UdpMessageBatch"/>) to one address with one UDP_SEGMENT control message, so the
/// kernel builds and routes the run once and cuts it into datagrams of the segment size.
/// </summary>
internal sealed unsafe class UdpSegmentedSendList : IDisposable
{
    /// <summary>CMSG_SPACE(sizeof(ushort)) on x86-64: a 16-byte cmsghdr and the value, padded to 8.</summary>
    private const int ControlSpace = 24;
    private const int ControlLength = 18;
    private const int SolUdp = 17;
    private const int UdpSegment = 103;

    private byte* _memory;

    public UdpSegmentedSendList(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        nuint headers = (nuint)(capacity * sizeof(MMsgHdr));
        nuint controls = (nuint)(capacity * ControlSpace);
        _memory = (byte*)NativeMemory.AlignedAlloc(headers + controls, 64);
        NativeMemory.Clear(_memory, headers + controls);
        Headers = (MMsgHdr*)_memory;
        Controls = _memory + headers;
    }

    public int Capacity { get; }

    public MMsgHdr* Headers { get; }

    private byte* Controls { get; }

    /// <summary>
    /// Message <paramref name="index"/>: <paramref name="count"/> iovecs from <paramref name="iovs"/> to
    /// <paramref name="name"/>, cut every <paramref name="segmentSize"/> bytes (no control message for one datagram).
    /// </summary>
    public void Set(int index, NativeSocketAddress* name, IoVec* iovs, int count, int segmentSize)
    {
        MMsgHdr* h = &Headers[index];
        h->Header.Name = name;
        h->Header.NameLength = (uint)name->Length;
        h->Header.Iov = iovs;
        h->Header.IovLength = (nuint)count;
        h->Header.Flags = 0;
        h->Length = 0;
        if (count < 2)
        {
            h->Header.Control = null;
            h->Header.ControlLength = 0;
            return;
        }

        byte* c = Controls + (index * ControlSpace);
        *(ulong*)c = ControlLength;
        *(int*)(c + 8) = SolUdp;
        *(int*)(c + 12) = UdpSegment;
        *(ushort*)(c + 16) = (ushort)segmentSize;
        h->Header.Control = c;
        h->Header.ControlLength = ControlSpace;
    }

    public void Dispose()
    {
        if (_memory != null)
        {
            NativeMemory.AlignedFree(_memory);
            _memory = null;
        }
    }
}
