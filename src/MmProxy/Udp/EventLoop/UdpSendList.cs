using System.Runtime.InteropServices;
using MmProxy.Interop;

namespace MmProxy.Udp.EventLoop;

/// <summary>
/// Native message headers for sendmmsg on connected sockets (no address): each points at a payload
/// inside a <see cref="UdpMessageBatch"/> slot, past the PROXY header, so forwarding copies nothing.
/// </summary>
internal sealed unsafe class UdpSendList : IDisposable
{
    private byte* _memory;

    public UdpSendList(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        nuint headers = (nuint)(capacity * sizeof(MMsgHdr));
        _memory = (byte*)NativeMemory.AlignedAlloc(headers + (nuint)(capacity * sizeof(IoVec)), 64);
        NativeMemory.Clear(_memory, headers + (nuint)(capacity * sizeof(IoVec)));
        Headers = (MMsgHdr*)_memory;
        Iovs = (IoVec*)(_memory + headers);
        for (int i = 0; i < capacity; i++)
        {
            Headers[i].Header.Iov = &Iovs[i];
            Headers[i].Header.IovLength = 1;
        }
    }

    public int Capacity { get; }

    public MMsgHdr* Headers { get; }

    public IoVec* Iovs { get; }

    public void Set(int index, byte* data, int length)
    {
        Iovs[index].Base = data;
        Iovs[index].Length = (nuint)length;
    }

    public int LengthOf(int index) => (int)Iovs[index].Length;

    public void Dispose()
    {
        if (_memory != null)
        {
            NativeMemory.AlignedFree(_memory);
            _memory = null;
        }
    }
}
