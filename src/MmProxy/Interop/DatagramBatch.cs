using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// Native memory for one recvmmsg/sendmmsg batch: the message headers, one iovec and one sockaddr
/// per message, and an arena of slots large enough for any datagram. Allocated once per loop and
/// never moved (the kernel gets raw pointers); untouched arena pages are never made resident, so a
/// 64 KiB slot costs only the pages a datagram actually fills.
/// </summary>
internal sealed unsafe class DatagramBatch : IDisposable
{
    private const int DontWait = 0x40;
    private const int NoSignal = 0x4000;

    private byte* _memory;

    public DatagramBatch(int capacity, int slotSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 1);
        Capacity = capacity;
        SlotSize = slotSize;
        nuint headers = (nuint)(capacity * sizeof(MMsgHdr));
        nuint iovs = (nuint)(capacity * sizeof(IoVec));
        nuint names = (nuint)(capacity * sizeof(NativeSocketAddress));
        nuint arena = (nuint)capacity * (nuint)slotSize;
        _memory = (byte*)NativeMemory.AlignedAlloc(headers + iovs + names + arena, 4096);
        NativeMemory.Clear(_memory, headers + iovs + names);
        Headers = (MMsgHdr*)_memory;
        Iovs = (IoVec*)(_memory + headers);
        Names = (NativeSocketAddress*)(_memory + headers + iovs);
        Arena = _memory + headers + iovs + names;
        for (int i = 0; i < capacity; i++)
        {
            Headers[i].Header.Iov = &Iovs[i];
            Headers[i].Header.IovLength = 1;
            Iovs[i].Base = Slot(i);
        }
    }

    public int Capacity { get; }

    public int SlotSize { get; }

    internal MMsgHdr* Headers { get; }

    internal IoVec* Iovs { get; }

    internal NativeSocketAddress* Names { get; }

    private byte* Arena { get; }

    internal byte* Slot(int index) => Arena + ((nint)index * SlotSize);

    /// <summary>
    /// Prepares message <paramref name="index"/> to receive a whole datagram into its slot (with the
    /// sender's address, or without), after <paramref name="headroom"/> bytes kept free for a header
    /// that <see cref="ArmReply"/> puts in front.
    /// </summary>
    public void ArmReceive(int index, bool withName, int headroom = 0)
    {
        MMsgHdr* h = &Headers[index];
        h->Header.Name = withName ? &Names[index] : null;
        h->Header.NameLength = withName ? (uint)NativeSocketAddress.Capacity : 0;
        h->Header.Flags = 0;
        h->Length = 0;
        Iovs[index].Base = Slot(index) + headroom;
        Iovs[index].Length = (nuint)(SlotSize - headroom);
    }

    /// <summary>recvmmsg(2) into messages [<paramref name="start"/>, +<paramref name="count"/>), without waiting: the number received.</summary>
    public SysResult Receive(int fd, int start, int count) =>
        SysResult.From(LibC.RecvMMsg(fd, Headers + start, (uint)count, DontWait, null));

    /// <summary>sendmmsg(2) of messages [<paramref name="start"/>, +<paramref name="count"/>) as armed, without waiting: the number sent.</summary>
    public SysResult Send(int fd, int start, int count) =>
        SysResult.From(LibC.SendMMsg(fd, Headers + start, (uint)count, DontWait | NoSignal));

    /// <summary>Bytes received into (or to be sent from) message <paramref name="index"/>.</summary>
    public int Length(int index) => (int)Headers[index].Length;

    /// <summary>After a receive: the sender's address of message <paramref name="index"/> (armed with a name).</summary>
    public ref NativeSocketAddress SenderOf(int index)
    {
        Names[index].Length = (int)Headers[index].Header.NameLength;
        return ref Names[index];
    }

    /// <summary>After a receive: the datagram of message <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Datagram(int index) => new(Iovs[index].Base, (int)Headers[index].Length);

    /// <summary>Where message <paramref name="index"/>'s data starts (after any headroom; before a prepended header).</summary>
    internal byte* Data(int index) => (byte*)Iovs[index].Base;

    /// <summary>Turns received message <paramref name="index"/> into one to send, as received, to <paramref name="to"/>.</summary>
    public void ArmReply(int index, in NativeSocketAddress to)
    {
        MMsgHdr* h = &Headers[index];
        Names[index] = to;
        h->Header.Name = &Names[index];
        h->Header.NameLength = (uint)to.Length;
        Iovs[index].Length = h->Length;
    }

    /// <summary>Puts <paramref name="header"/> in front of message <paramref name="index"/>'s data, in the headroom it was received after.</summary>
    public void Prepend(int index, ReadOnlySpan<byte> header)
    {
        MMsgHdr* h = &Headers[index];
        byte* start = (byte*)Iovs[index].Base - header.Length;
        if (start < Slot(index))
        {
            throw new InvalidOperationException("the header is larger than the headroom");
        }

        header.CopyTo(new Span<byte>(start, header.Length));
        Iovs[index].Base = start;
        h->Length += (uint)header.Length;
        Iovs[index].Length = h->Length;
    }

    /// <summary>Drops the first <paramref name="count"/> bytes of message <paramref name="index"/>'s data (a header to remove).</summary>
    public void Skip(int index, int count)
    {
        MMsgHdr* h = &Headers[index];
        Iovs[index].Base = (byte*)Iovs[index].Base + count;
        h->Length -= (uint)count;
        Iovs[index].Length = h->Length;
    }

    /// <summary>Copies message <paramref name="from"/>'s data and sender into message <paramref name="to"/> (closing a gap in a batch; rare).</summary>
    public void Copy(int from, int to)
    {
        int length = Length(from);
        new ReadOnlySpan<byte>(Iovs[from].Base, length).CopyTo(new Span<byte>(Slot(to), length));
        Iovs[to].Base = Slot(to);
        Headers[to].Length = (uint)length;
        Iovs[to].Length = (nuint)length;
        Names[to] = Names[from];
        Headers[to].Header.NameLength = Headers[from].Header.NameLength;
    }

    /// <summary>Messages <paramref name="a"/> and <paramref name="b"/> are armed to the same address.</summary>
    public bool SameDestination(int a, int b) => Names[a].Equals(Names[b]);

    public void Dispose()
    {
        if (_memory != null)
        {
            NativeMemory.AlignedFree(_memory);
            _memory = null;
        }
    }
}
