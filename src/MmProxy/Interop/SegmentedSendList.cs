using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// Native message headers for UDP GSO sends: each one covers a run of datagrams (iovecs of a
/// <see cref="DatagramBatch"/>) to one address with one UDP_SEGMENT control message, so the
/// kernel builds and routes the run once and cuts it into datagrams of the segment size.
/// </summary>
internal sealed unsafe class SegmentedSendList : IDisposable
{
    /// <summary>CMSG_SPACE(sizeof(ushort)) on LP64 Linux: a 16-byte cmsghdr and the value, padded to 8.</summary>
    private const int ControlSpace = 24;
    private const int ControlLength = 18;
    private const int Flags = 0x40 | 0x4000; // MSG_DONTWAIT | MSG_NOSIGNAL

    private byte* _memory;

    public SegmentedSendList(int capacity)
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

    private MMsgHdr* Headers { get; }

    private byte* Controls { get; }

    /// <summary>
    /// Message <paramref name="index"/>: messages [<paramref name="first"/>, +<paramref name="count"/>) of
    /// <paramref name="batch"/> (armed as replies to one address), cut every <paramref name="segmentSize"/>
    /// bytes (no control message for a single datagram).
    /// </summary>
    public void Set(int index, DatagramBatch batch, int first, int count, int segmentSize)
    {
        ArgumentNullException.ThrowIfNull(batch);
        MMsgHdr* h = &Headers[index];
        NativeSocketAddress* name = batch.Names + first;
        h->Header.Name = name;
        h->Header.NameLength = (uint)name->Length;
        h->Header.Iov = batch.Iovs + first;
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
        *(int*)(c + 8) = SocketOptions.SolUdp;
        *(int*)(c + 12) = SocketOptions.UdpSegment;
        *(ushort*)(c + 16) = (ushort)segmentSize;
        h->Header.Control = c;
        h->Header.ControlLength = ControlSpace;
    }

    /// <summary>sendmmsg(2) of runs [<paramref name="start"/>, +<paramref name="count"/>): the number of runs sent.</summary>
    public SysResult Send(int fd, int start, int count) =>
        SysResult.From(LibC.SendMMsg(fd, Headers + start, (uint)count, Flags));

    public void Dispose()
    {
        if (_memory != null)
        {
            NativeMemory.AlignedFree(_memory);
            _memory = null;
        }
    }
}
