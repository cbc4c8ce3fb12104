using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// The array epoll_wait fills, in this architecture's layout (<see cref="EpollEventLayout"/>), in
/// native memory owned by one loop thread. Read an event with <see cref="EventsAt"/> and <see cref="DataAt"/>.
/// </summary>
internal sealed unsafe class EpollEvents : IDisposable
{
    private readonly int _size = EpollEventLayout.Size;
    private readonly int _dataOffset = EpollEventLayout.DataOffset;
    private byte* _memory;

    public EpollEvents(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _memory = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * _size));
    }

    public int Capacity { get; }

    internal byte* Pointer => _memory;

    /// <summary>The event bits of entry <paramref name="index"/> (EpollFlags).</summary>
    public uint EventsAt(int index) => *(uint*)(_memory + (index * _size));

    /// <summary>The registration data of entry <paramref name="index"/>.</summary>
    public ulong DataAt(int index) => *(ulong*)(_memory + (index * _size) + _dataOffset);

    /// <summary>Writes one event in the native layout (the round-trip tests build events with it).</summary>
    internal static void Write(byte* at, uint events, ulong data)
    {
        *(uint*)at = events;
        *(ulong*)(at + EpollEventLayout.DataOffset) = data;
    }

    public void Dispose()
    {
        if (_memory != null)
        {
            NativeMemory.Free(_memory);
            _memory = null;
        }
    }
}
