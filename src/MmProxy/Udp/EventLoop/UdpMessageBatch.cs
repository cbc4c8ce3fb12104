using System.Runtime.InteropServices;
using MmProxy.Interop;

namespace MmProxy.Udp.EventLoop;

/// <summary>
/// Native memory for one recvmmsg/sendmmsg batch: the message headers, one iovec and one sockaddr
/// per message, and an arena of slots large enough for any datagram. Allocated once per loop and
/// never moved (the kernel gets raw pointers); untouched arena pages are never made resident, so a
/// 64 KiB slot costs only the pages a datagram actually fills.
/// </summary>
internal sealed unsafe class UdpMessageBatch : IDisposable
{
    private byte* _memory;

    public UdpMessageBatch(int capacity, int slotSize)
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

    public MMsgHdr* Headers { get; }

    public IoVec* Iovs { get; }

    public NativeSocketAddress* Names { get; }

    public byte* Arena { get; }

    public byte* Slot(int index) => Arena + ((nint)index * SlotSize);

    /// <summary>Prepares message <paramref name="index"/> to receive a whole datagram into its slot (with the sender's address, or without).</summary>
    public void ArmReceive(int index, bool withName)
    {
        MMsgHdr* h = &Headers[index];
        h->Header.Name = withName ? &Names[index] : null;
        h->Header.NameLength = withName ? (uint)NativeSocketAddress.Capacity : 0;
        h->Header.Flags = 0;
        h->Length = 0;
        Iovs[index].Base = Slot(index);
        Iovs[index].Length = (nuint)SlotSize;
    }

    /// <summary>After recvmmsg: the sender's address of message <paramref name="index"/> (armed with a name).</summary>
    public ref NativeSocketAddress ReceivedName(int index)
    {
        Names[index].Length = (int)Headers[index].Header.NameLength;
        return ref Names[index];
    }

    /// <summary>After recvmmsg: the datagram of message <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Received(int index) => new(Slot(index), (int)Headers[index].Length);

    /// <summary>Turns received message <paramref name="index"/> into one to send, as received, to <paramref name="to"/>.</summary>
    public void ArmReply(int index, in NativeSocketAddress to)
    {
        MMsgHdr* h = &Headers[index];
        Names[index] = to;
        h->Header.Name = &Names[index];
        h->Header.NameLength = (uint)to.Length;
        Iovs[index].Length = h->Length;
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
