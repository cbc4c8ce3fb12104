using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// Native message headers for sendmmsg on connected sockets (no address): each points at a payload
/// inside a <see cref="DatagramBatch"/> slot, past the PROXY header, so forwarding copies nothing.
/// </summary>
internal sealed unsafe class ConnectedSendList : IDisposable
{
    private const int Flags = 0x40 | 0x4000; // MSG_DONTWAIT | MSG_NOSIGNAL

    private byte* _memory;

    public ConnectedSendList(int capacity)
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

    private MMsgHdr* Headers { get; }

    private IoVec* Iovs { get; }

    /// <summary>Entry <paramref name="index"/> sends message <paramref name="message"/> of <paramref name="batch"/> from byte <paramref name="offset"/> on.</summary>
    public void Set(int index, DatagramBatch batch, int message, int offset)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Iovs[index].Base = batch.Data(message) + offset;
        Iovs[index].Length = (nuint)(batch.Length(message) - offset);
    }

    public int LengthOf(int index) => (int)Iovs[index].Length;

    /// <summary>Entries [<paramref name="start"/>, +<paramref name="count"/>) on a connected socket: the number sent (send(2) for one, sendmmsg(2) for more).</summary>
    public SysResult Send(int fd, int start, int count)
    {
        if (count == 1)
        {
            IoVec* iov = &Iovs[start];
            SysResult one = SysResult.From(LibC.Send(fd, iov->Base, iov->Length, Flags));
            return one.Succeeded ? SysResult.From(1) : one;
        }

        return SysResult.From(LibC.SendMMsg(fd, Headers + start, (uint)count, Flags));
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
